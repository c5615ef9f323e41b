"""Read models folded from the signed log."""
