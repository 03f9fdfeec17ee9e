"""OmniBehavior benchmark data shipped with the app (seed table); see README.md for its licence."""
