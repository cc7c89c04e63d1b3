"""Decision support on exploratory stores: when retention collapses (discovery), which policies hold up (optimize)."""
