"""The house dialect of every CSV the project writes (the coding matrix, the clips list):
UTF-8 with a byte-order mark and ``;`` between cells, so that a spreadsheet in a Norwegian
locale opens it with æ, ø and å intact and in columns."""

from __future__ import annotations

BOM = "\ufeff"
DELIMITER = ";"
