"""Properties of telling proteins from other text (protscope.data.composition), through the whole upload path:

- a table whose text column is English words (a species, a county, a gene description), in any case,
  under any header, even 'sequence', is never accepted as a protein dataset;
- a nucleotide alignment with gaps ('-', '.') and a few IUPAC ambiguity codes is never accepted;
- a table or FASTA of random proteins drawn from UniProt's composition always is, whole.

English words come from the docstrings of Python's standard library, so the test needs no word list.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import datetime
import decimal
import email
import inspect
import io
import json
import logging
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import textwrap
import threading
import typing
import unittest
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.data.composition import AMINO_ACIDS
from protscope.errors import ProtScopeError

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MODULES = (argparse, asyncio, collections, datetime, decimal, email, json, logging, os, pathlib, shutil, subprocess,
           tarfile, textwrap, threading, typing, unittest, zipfile)
_PROSE = " ".join(inspect.getdoc(obj) or "" for module in MODULES
                  for _, obj in inspect.getmembers(module) if inspect.isclass(obj) or inspect.isfunction(obj))
WORDS = sorted({w.lower() for w in re.findall(r"\b[A-Za-z][a-z]{3,13}\b", _PROSE) if re.search("[aeiou]", w)})
STANDARD = "ACDEFGHIKLMNPQRSTVWY"
WEIGHTS = np.array([AMINO_ACIDS[c] for c in STANDARD]) / sum(AMINO_ACIDS[c] for c in STANDARD)
CASES = {"as written": str, "upper": str.upper, "title": str.title}


def test_the_word_pool_is_real_english():
    assert len(WORDS) > 1500 and {"return", "value", "string", "argument"} <= set(WORDS)


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


@st.composite
def word_tables(draw):
    n = draw(st.integers(20, 60))
    words = draw(st.lists(st.sampled_from(WORDS), min_size=n, max_size=n, unique=True))
    per_cell = draw(st.sampled_from([1, 1, 2, 3]))
    joiner = draw(st.sampled_from([" ", "-", "_", ""]))
    cells = [joiner.join(words[i:i + per_cell] + words[:max(0, i + per_cell - n)]) for i in range(n)]
    cells = [CASES[draw(st.sampled_from(sorted(CASES)))](c) for c in cells]
    header = draw(st.sampled_from(["sequence", "name", "species", "description", "county", "protein"]))
    labels = [str(draw(st.floats(0, 10, allow_nan=False, width=32))) for _ in range(n)]
    return _csv([header, "label"], [[c, y] for c, y in zip(cells, labels)], draw(st.sampled_from([",", "\t"])))


@PROPERTY
@given(table=word_tables())
def test_english_word_tables_are_never_proteins(table):
    try:
        data = load_bytes(table, "words.csv", DataConfig())
    except ProtScopeError as exc:
        assert "Fix:" in str(exc)
        return
    raise AssertionError(f"words were accepted as {len(data)} proteins, e.g. {data.sequences[:3]}")


@st.composite
def nucleotide_alignments(draw):
    n = draw(st.integers(20, 40))
    width = draw(st.integers(30, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    letters = np.array(list(draw(st.sampled_from(["ACGT", "ACGU", "acgt"]))))
    rows = rng.choice(letters, size=(n, width))
    rows[rng.random((n, width)) < draw(st.floats(0.0, 0.4))] = draw(st.sampled_from(["-", "."]))
    ambiguous = rng.random((n, width)) < draw(st.floats(0.0, 0.05))
    rows[ambiguous] = rng.choice(list("RYKMSWN"), size=int(ambiguous.sum()))
    seqs = ["".join(r) for r in rows]
    labels = rng.integers(0, 2, n)
    if draw(st.booleans()):
        return "".join(f">s{i} label={y}\n{s}\n" for i, (s, y) in enumerate(zip(seqs, labels))).encode(), "aln.fasta"
    return _csv(["id", "sequence", "label"], [[f"s{i}", s, y] for i, (s, y) in enumerate(zip(seqs, labels))]), \
        "aln.csv"


@PROPERTY
@given(alignment=nucleotide_alignments())
def test_gapped_nucleotide_alignments_are_never_proteins(alignment):
    content, name = alignment
    try:
        data = load_bytes(content, name, DataConfig())
    except ProtScopeError as exc:
        assert re.search("nucleotide|DNA|RNA", str(exc)), str(exc)
        return
    raise AssertionError(f"nucleotides were accepted as {len(data)} proteins")


@st.composite
def protein_files(draw):
    n = draw(st.integers(20, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lengths = rng.integers(draw(st.integers(8, 50)), 400, n)
    seqs = ["".join(rng.choice(list(STANDARD), size=k, p=WEIGHTS)) for k in lengths]
    labels = ["0", "1"] + [str(v) for v in rng.integers(0, 2, n - 2)]
    form = draw(st.sampled_from(["csv", "tsv", "fasta", "headerless"]))
    if draw(st.booleans()):
        seqs = [s.lower() for s in seqs]
    if form == "fasta":
        return "".join(f">p{i} label={y}\n{s}\n" for i, (s, y) in enumerate(zip(seqs, labels))).encode(), "p.fasta", n
    header = draw(st.sampled_from([["id", "sequence", "label"], ["name", "seq", "solubility"],
                                   ["Entry", "Sequence", "class"], ["a", "b", "c"]]))
    rows = [[f"p{i}", s, y] for i, (s, y) in enumerate(zip(seqs, labels))]
    if form == "headerless":
        return _csv(rows[0], rows[1:]), "p.csv", n
    return _csv(header, rows, "\t" if form == "tsv" else ","), f"p.{form}", n


@PROPERTY
@given(file=protein_files())
def test_random_protein_tables_always_load_whole(file):
    content, name, n = file
    data = load_bytes(content, name, DataConfig())
    assert len(data) == n and data.task == "binary"
