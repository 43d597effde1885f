"""The README's "Python API" example runs as written (extracted between its markers)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def example_code() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- api-example:start -->\n```python\n(.*?)```\n<!-- api-example:end -->", readme, re.S)
    assert block, "README.md lost its api-example markers"
    return block.group(1)


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # the example's relative paths
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(example_code(), "README.md:api-example", "exec"), namespace)
    build, result = namespace["build"], namespace["result"]
    assert build.path == Path("build/api-mlp")
    assert (tmp_path / "build/api-mlp/rtl/tb.sv").is_file()
    assert [layer["parallelism"] for layer in build.manifest["layers"]] == [32, 32, 10]
    assert build.report["fits"] is True
    assert result.summary["images"] == 20
    assert not result.rtl and result.accuracy == result.summary["golden_accuracy"]
    assert 0.85 <= result.accuracy <= 1.0  # the MLP's golden model scores 95% on the test split
    out = capsys.readouterr().out
    assert f"{build.manifest['cycles_expected']} cycles per image; fits: True" in out
    assert f"accuracy on 20 images: {result.accuracy:.0%}" in out
