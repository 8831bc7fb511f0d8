"""analysis stage of the kill chain."""
