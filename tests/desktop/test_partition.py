from pathlib import Path

import pytest

from kernia_desktop.partition import DEFAULT_PARTITION, InvalidPartition, Partition


def test_persistent_partition_has_its_own_folder(tmp_path: Path) -> None:
    partition = Partition(DEFAULT_PARTITION)
    assert partition.persistent
    assert partition.storage_dir(tmp_path) == tmp_path / "partitions" / "kernia"
    assert Partition("persist:work").storage_dir(tmp_path) != partition.storage_dir(tmp_path)


def test_other_partitions_live_in_memory(tmp_path: Path) -> None:
    partition = Partition("scratch")
    assert not partition.persistent
    assert partition.storage_dir(tmp_path) is None


@pytest.mark.parametrize("name", ["", "persist:", "../escape", "persist:../x", "a/b", "x" * 80, "persist:a b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidPartition):
        Partition(name)
