"""A toy fourth dialect: a folder with one route that pins through core, built only from the
dialect shell (``chatpins.dialects.shell``). ``tests/e2e/test_fourth_dialect.py`` registers it
beside the three vendors to show that a dialect needs nothing outside its folder."""
