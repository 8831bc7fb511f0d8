"""kinematics stage of the kill chain."""
