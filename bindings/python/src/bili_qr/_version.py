"""The package version. It equals the Rust crate's version (root Cargo.toml); setup.py refuses to build when
the two differ, and the tests check it against ``bili_qr_version()`` of the library actually loaded."""

__version__ = "0.2.0"
