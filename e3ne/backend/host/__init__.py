"""Host-side code copied into build directories (BUILD/driver/): no e3ne imports at run time."""
