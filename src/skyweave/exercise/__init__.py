"""The exercise around the kill chain: operator consent to engagement orders.

White-cell injects live on the scenario timeline (``skyweave.scenario.timeline``).
"""
