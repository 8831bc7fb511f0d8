"""io stage of the kill chain."""
