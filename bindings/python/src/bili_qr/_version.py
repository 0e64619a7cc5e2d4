"""The package version. It equals the Cargo workspace's version (root Cargo.toml, ``[workspace.package]``):
setup.py refuses to build when the two differ, and the tests check it against the manifest and against
``bili_qr_version()`` of the library actually loaded."""

__version__ = "0.2.0"
