"""c2 stage of the kill chain."""
