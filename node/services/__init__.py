"""Use cases of the node. Each takes an open session (the caller owns the transaction) and the
running :class:`node.runtime.Node`; the web API, admin pages and CLI all call these."""
