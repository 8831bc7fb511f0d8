"""exercise stage of the kill chain."""
