"""`slimgo bench`: build variants of one Go program and measure what each costs to store, pull and start."""
