"""``spazi demo``: a small federated, twinned network of spaces on loopback (README, first
command)."""
