"""tracking stage of the kill chain."""
