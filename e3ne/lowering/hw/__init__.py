"""What `lower-snnhw-to-circt` builds with: the hw builder layer, shared datapath constructs, and one module per unit."""
