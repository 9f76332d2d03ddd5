"""The books: the ledger of points and stored value, point lots, and the invariants that check them."""
