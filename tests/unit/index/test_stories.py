"""Story id assignment (the pure part)."""

from index.stories import KnownCopy, assign_stories


def test_a_document_without_known_copies_names_its_own_story() -> None:
    assert assign_stories([("a", ["00-x", "01-y"])], []) == {"a": "a"}


def test_a_copy_joins_the_story_of_an_indexed_copy() -> None:
    known = [KnownCopy("first", ["00-x", "01-y"])]
    assert assign_stories([("b", ["00-q", "01-y"])], known) == {"b": "first"}


def test_the_oldest_known_story_wins() -> None:
    known = [KnownCopy("oldest", ["00-x"]), KnownCopy("newer", ["01-y"])]
    assert assign_stories([("c", ["00-x", "01-y"])], known) == {"c": "oldest"}


def test_copies_within_one_batch_share_the_first_ones_story() -> None:
    batch = [("a", ["00-x", "01-y"]), ("b", ["00-z", "01-y"]), ("c", ["00-w", "01-v"])]
    assert assign_stories(batch, []) == {"a": "a", "b": "a", "c": "c"}


def test_a_redelivered_document_keeps_its_story() -> None:
    known = [KnownCopy("first", ["00-x"]), KnownCopy("first", ["00-x", "01-y"])]
    assert assign_stories([("second", ["00-x", "01-y"])], known) == {"second": "first"}


def test_a_document_without_bands_is_its_own_story() -> None:
    assert assign_stories([("a", [])], [KnownCopy("s", ["00-x"])]) == {"a": "a"}
