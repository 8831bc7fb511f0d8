"""engagement stage of the kill chain."""
