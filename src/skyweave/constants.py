"""Physical constants shared by every stage (SI units)."""

MU_EARTH_M3_S2 = 3.986004418e14
"""Earth's gravitational parameter (WGS84)."""

R_EARTH_MEAN_M = 6_371_000.0
"""Mean Earth radius, used by the spherical closed forms."""

WGS84_A_M = 6_378_137.0
"""WGS84 semi-major axis."""

J2_EARTH = 1.08262668e-3
"""Earth's second zonal harmonic."""

OMEGA_EARTH_RAD_S = 7.2921150e-5
"""Earth's rotation rate (WGS84)."""

G0_MPS2 = 9.80665
"""Standard gravity."""
