"""A minimal pcap writer, so Wireshark's dissector (tshark) can read the PDUs a test received."""

from __future__ import annotations

import struct
from pathlib import Path


def write_pcap(path: Path, datagrams: list[bytes], port: int) -> None:
    """Minimal classic pcap (link type 1, Ethernet) of UDP datagrams 127.0.0.1 -> port."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, payload in enumerate(datagrams):
        udp = struct.pack(">HHHH", 50000, port, 8 + len(payload), 0) + payload
        ip = bytearray(
            struct.pack(
                ">BBHHHBBH4s4s",
                0x45,
                0,
                20 + len(udp),
                i & 0xFFFF,
                0,
                64,
                17,
                0,
                bytes([127, 0, 0, 1]),
                bytes([127, 0, 0, 1]),
            )
        )
        csum = sum(struct.unpack(">10H", bytes(ip)))
        csum = (csum & 0xFFFF) + (csum >> 16)
        csum = (csum & 0xFFFF) + (csum >> 16)
        ip[10:12] = struct.pack(">H", ~csum & 0xFFFF)
        frame = bytes(12) + b"\x08\x00" + bytes(ip) + udp
        out.append(
            struct.pack(
                "<IIII", 1_900_000_000 + i // 100, (i % 100) * 10_000, len(frame), len(frame)
            )
        )
        out.append(frame)
    path.write_bytes(b"".join(out))
