"""Members' network profiles: publishing with consent, search across the network, getting in
touch through the home node, and erasure that reaches every node (ARCHITECTURE.md §People)."""
