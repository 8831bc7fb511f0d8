"""sensors stage of the kill chain."""
