"""pytest configuration for the notebooks that nbval checks (book/*.ipynb, tests/golden/*.ipynb)."""

# Glued figures are stored as PNG bytes under this key; like the plain image/png outputs that nbval already skips,
# their bytes may differ between CPU kinds and are not compared (their captions and every printed number are).
GLUED_IMAGES = ("application/papermill.record/image/png",)


def pytest_collection_modifyitems(items):
    for parent in {item.parent for item in items if hasattr(item.parent, "skip_compare")}:
        parent.skip_compare = tuple(parent.skip_compare) + GLUED_IMAGES
