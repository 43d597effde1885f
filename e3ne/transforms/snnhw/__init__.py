"""`snnhw`-level passes: snnhw-estimate."""
