"""network stage of the kill chain."""
