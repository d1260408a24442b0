"""The build database and the published warehouse: opening, kept state, guard, publish, scratch."""
