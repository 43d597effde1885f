"""What `lower-snnhw-to-circt` builds with: the hw builder layer (hwbuilder.py), the datapath constructs the units share (constructs.py), and one module per unit."""
