"""PySide6 checks every module imported after it for PySide6 in its source. The shell has it answer from the
module's file (kernia_desktop.qt.answer_pyside_module_check_from_files), never through the module's own attributes."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kernia_desktop.qt import answer_pyside_module_check_from_files, module_source_names_pyside


def loaded(tmp_path: Path, name: str, source: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_module_check_answers_from_the_file_without_running_the_modules_getattr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As pydantic's modules do: a module-level __getattr__ that imports. Here it only says it was asked.
    touchy = loaded(tmp_path, "touchy_module", "def __getattr__(name):\n    raise RuntimeError(f'asked for {name}')\n")
    qt_user = loaded(tmp_path, "qt_user_module", "import PySide6  # noqa: F401\n")
    # What PySide6 asks through: inspect.getsource looks up __wrapped__ on the module first.
    with pytest.raises(RuntimeError, match="asked for __wrapped__"):
        inspect.getsource(touchy)

    feature = sys.modules["shibokensupport.feature"]
    monkeypatch.setattr(feature, "_mod_uses_pyside", feature._mod_uses_pyside)
    for name in ("touchy_module", "qt_user_module"):
        monkeypatch.delitem(feature.pyside_feature_dict, name, raising=False)
    answer_pyside_module_check_from_files()
    feature.feature_imported(touchy)
    feature.feature_imported(qt_user)
    # -1: a module PySide6's features leave alone; 0: one that uses PySide6.
    assert (feature.pyside_feature_dict["touchy_module"], feature.pyside_feature_dict["qt_user_module"]) == (-1, 0)


def test_modules_without_a_source_file_do_not_name_pyside() -> None:
    assert not module_source_names_pyside(sys)
    assert not module_source_names_pyside(ModuleType("made_in_memory"))
    assert module_source_names_pyside(sys.modules["kernia_desktop.qt"])
