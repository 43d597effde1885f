"""PyTorch -> float `snn` IR (the pipeline's first step, see README.md "Layout").

`load_model("model.py:Net", "net.pt")` builds the user's network; `import_model(model,
(1, 28, 28))` traces it with torch.fx and returns a verified `builtin.module` holding
`func.func @net`, whose body is `snn.input`, the float snn layers, and `func.return`.
"""

from e3ne.frontend.fx_importer import import_model
from e3ne.frontend.loader import load_model

__all__ = ["import_model", "load_model"]
