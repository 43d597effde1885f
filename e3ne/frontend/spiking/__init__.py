"""Frontends for trained spiking networks (snnTorch, NIR): each reads its source into a
`SpikingChain` (chain.py), which `emit.py` turns into the float `snn` IR of IF/LIF neurons.
See docs/lif.md "Frontends"."""
