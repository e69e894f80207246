#!/usr/bin/env python
"""Gather the real-file corpus in tests/data/real/ and recompute its ground truth.

Every file here was written by another project (or, under made/, derived from such a
file by the steps below).  This script records where each file came from and how it was
copied or derived, and recomputes TRUTH.toml's counts with Biopython, gzip/zcat and pandas
only: no ProtScope code is imported.

    python gather.py copy     # copy/trim the files from the bare git mirrors, build made/
    python gather.py truth    # recompute SOURCES and TRUTH.toml from the files on disk
    python gather.py all      # both (the default)

The mirrors are bare git repositories under /work/.mirror/<owner>+<name>/repo (read with
`git show <commit>:<path>`); they are not needed in CI, where only the files themselves
and TRUTH.toml are used.  A few files (pandas, GABRAH) were read from a stored index of
public GitHub files rather than a mirror; they are kept as checked in and only re-verified.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRROR = Path("/work/.mirror")

# project -> (mirror dir, repository URL, commit, licence)
PROJECTS = {
    "biopython": ("biopython+biopython", "https://github.com/biopython/biopython",
                  "8b4d499f0e42567439e18a44986f342cc46e4faa",
                  "Biopython License Agreement / BSD 3-Clause"),
    "biotite": ("biotite-dev+biotite", "https://github.com/biotite-dev/biotite",
                "258793557db6a5992aae69931e04728142588bf1", "BSD 3-Clause"),
    "skbio": ("scikit-bio+scikit-bio", "https://github.com/scikit-bio/scikit-bio",
              "2068527a73f9c0be3eb01a3598657a1cc9a6c70e", "BSD 3-Clause"),
    "csvkit": ("wireservice+csvkit", "https://github.com/wireservice/csvkit",
               "ba8033dcbb2c72089e88f38a1a50ddfc8e5ac3df", "MIT"),
    "colabfold": ("sokrypton+ColabFold", "https://github.com/sokrypton/ColabFold",
                  "3b808f0fa70ac160747eedf862b2da3be9dbcbce", "MIT"),
    "af_unmasked": ("clami66+AF_unmasked", "https://github.com/clami66/AF_unmasked",
                    "0bab9d1a67937f67814dcbeee45726ae6b2c19de", "Apache-2.0"),
    "pyhmmer": ("althonos+pyhmmer", "https://github.com/althonos/pyhmmer",
                "956c542559a077d4ecfe8904c887331c621f988c", "MIT"),
    # Read through the stored file index (no mirror); text kept as checked in.
    "pandas": (None, "https://github.com/pandas-dev/pandas", None, "BSD 3-Clause"),
    "gabrah": (None, "https://github.com/GABRAH/FASTA-Glycan-Seqon-Checker",
               "bbff92418e9d7a5907fad938bf289fdc1979fd38",
               "no licence file in the repository; the content is an excerpt of wwPDB "
               "pdb_seqres.txt (wwPDB data: CC0 1.0)"),
}

# ColabFold files removed from HEAD but present in history.
CF_OLD = "e1bc16fdce3297bfd4e88cb933c88599f4d4ea4b"   # "WorkingVersion": test_a5e17_* run outputs
CF_ALT = "e7a46a9149f029304bf1abbc42b21f254f5eaff7"   # "add global params": alt_97_0.1.a3m

ENTRIES: list[dict] = []


def add(local, project, path, fmt, mol, how, note="", comp="", commit=None, trim=None, **kw):
    """One file.  how: the independent way to count it (see count())."""
    ENTRIES.append(dict(local=local, project=project, path=path, format=fmt, molecule=mol,
                        how=how, note=note, compression=comp, commit=commit, trim=trim, **kw))


def made(local, origin, fmt, mol, how, note="", comp="", build=None, **kw):
    ENTRIES.append(dict(local=local, project="made here from " + origin, path="", format=fmt,
                        molecule=mol, how=how, note=note, compression=comp, commit=None,
                        trim=None, build=build, **kw))


# --------------------------------------------------------------------------- the manifest
BP = "Tests/"
# --- Biopython: FASTA
add("biopython/Fasta/aster.pro", "biopython", BP + "Fasta/aster.pro", "fasta", "protein", "seq:fasta",
    "one protein record, NCBI gi| header")
add("biopython/Fasta/aster_pearson.pro", "biopython", BP + "Fasta/aster_pearson.pro", "fasta", "protein",
    "seq:fasta-pearson", "free-text line 'Some header' before the first '>' and ';' comment lines "
    "inside the record; Biopython's plain 'fasta' parser refuses it, 'fasta-pearson' reads 1 record")
add("biopython/Fasta/aster_blast.pro", "biopython", BP + "Fasta/aster_blast.pro", "fasta", "protein",
    "seq:fasta-blast", "'# Some header' before the first '>' and '#', ';', '!' comment lines inside the "
    "record; plain 'fasta' refuses it, 'fasta-pearson' keeps '#...' lines as sequence, 'fasta-blast' "
    "reads it right (1 record)")
add("biopython/Fasta/rose.pro", "biopython", BP + "Fasta/rose.pro", "fasta", "protein", "seq:fasta")
add("biopython/Fasta/rosemary.pro", "biopython", BP + "Fasta/rosemary.pro", "fasta", "protein", "seq:fasta",
    "rubisco large subunit")
add("biopython/Fasta/f002", "biopython", BP + "Fasta/f002", "fasta", "dna", "seq:fasta",
    "no file extension; 3 DNA records; first header contains a Ctrl-A (\\x01) separator between "
    "merged NCBI deflines")
add("biopython/Fasta/f003.fa", "biopython", BP + "Fasta/f003.fa", "fasta", "protein", "seq:fasta",
    "2 proteins, the second a truncated copy of the first (Biopython's README says 'with comments' but "
    "this version has none)")
add("biopython/Fasta/fa01", "biopython", BP + "Fasta/fa01", "aligned-fasta", "protein", "seq:fasta",
    "gapped protein 'alignment' in FASTA form ('-' gaps, Pfam-style ids NAME/start-end, no extension) "
    "whose two rows have DIFFERENT lengths (378 vs 382 columns): AlignIO 'fasta' refuses it, SeqIO reads 2")
add("biopython/Fasta/protein_lib.fa", "biopython", BP + "Fasta/protein_lib.fa", "fasta", "protein",
    "seq:fasta", "UniProt sp| headers")
add("biopython/Fasta/nucleotide_lib.fa", "biopython", BP + "Fasta/nucleotide_lib.fa", "fasta", "dna",
    "seq:fasta")
add("biopython/Fasta/centaurea.nu", "biopython", BP + "Fasta/centaurea.nu", "fasta", "dna", "seq:fasta",
    ".nu = nucleotide; contains N")
add("biopython/Fasta/dups.fasta", "biopython", BP + "Fasta/dups.fasta", "fasta", "dna", "seq:fasta",
    "duplicate record ids (alpha appears 3 times); tiny sequences")
add("biopython/Fasta/flowers.pro.gz", "biopython", BP + "Fasta/flowers.pro.gz", "fasta", "protein",
    "seq:fasta", "gzip-compressed protein FASTA (real .gz from Biopython)", comp="gzip")
add("biopython/Fasta/output001.m10", "biopython", BP + "Fasta/output001.m10", "fasta-m10", "none",
    "search:fasta-m10", "FASTA35 -m 10 search output, protein vs protein")
add("biopython/Fasta/output004.m10", "biopython", BP + "Fasta/output004.m10", "fasta-m10", "none",
    "search:fasta-m10", "FASTA35 -m 10 nucleotide search output; only the middle query has a hit")
add("biopython/Fasta/output008.m10", "biopython", BP + "Fasta/output008.m10", "fasta-m10", "none",
    "search:fasta-m10", "tfastx36 protein vs nucleotide, some queries without hits, multiple HSPs")
add("biopython/Fasta/protein_m8CB.txt", "biopython", BP + "Fasta/protein_m8CB.txt", "blast-tab", "none",
    "search:blast-tab:comments", "FASTA36 -m 8CB: BLAST tabular with '#' comment lines and a BTOP column")
add("biopython/Fasta/nucleotide_m8CC.txt", "biopython", BP + "Fasta/nucleotide_m8CC.txt", "blast-tab",
    "none", "search:blast-tab:comments", "FASTA36 -m 8CC: BLAST tabular with comments and CIGAR column")

# --- Biopython: GenBank / GenPept
add("biopython/GenBank/NC_005816.gb", "biopython", BP + "GenBank/NC_005816.gb", "genbank", "dna",
    "cds:genbank", "Yersinia pestis plasmid pPCP1, CDS features carry /translation")
add("biopython/GenBank/NC_005816.faa", "biopython", BP + "GenBank/NC_005816.faa", "fasta", "protein",
    "seq:fasta", "the plasmid's proteins as FASTA")
add("biopython/GenBank/NC_005816.tsv", "biopython", BP + "GenBank/NC_005816.tsv", "tsv", "protein",
    "csv", "two columns, NO header row: NCBI gi id <TAB> protein sequence; counted with "
    "pandas header=None (with the default header=0 the first protein would be taken as a header)",
    csv=dict(sep="\t", header=None), sequence_column="1", label_column="", id_column="0")
add("biopython/GenBank/NC_000932.faa", "biopython", BP + "GenBank/NC_000932.faa", "fasta", "protein",
    "seq:fasta", "Arabidopsis chloroplast proteome, 85 proteins (labels in made/NC_000932_labels.csv)")
add("biopython/GenBank/NC_000932.gb.bgz", "biopython", BP + "GenBank/NC_000932.gb.bgz", "genbank", "dna",
    "cds:genbank", "BGZF-compressed GenBank (real .bgz from Biopython), Arabidopsis chloroplast "
    "genome with CDS translations", comp="bgzf")
add("biopython/GenBank/cor6_6.gb", "biopython", BP + "GenBank/cor6_6.gb", "genbank", "dna", "cds:genbank",
    "6 records (plant cold-regulated genes)")
add("biopython/GenBank/arab1.gb", "biopython", BP + "GenBank/arab1.gb", "genbank", "dna", "cds:genbank",
    "Arabidopsis BAC, many CDS with translations")
add("biopython/GenBank/iro.gb", "biopython", BP + "GenBank/iro.gb", "genbank", "dna", "cds:genbank",
    "mRNA record with no CDS feature at all (so no translation)")
add("biopython/GenBank/gbvrl1_start.seq", "biopython", BP + "GenBank/gbvrl1_start.seq", "genbank", "dna",
    "cds:genbank", "start of a GenBank release file: a 'GBVRL1.SEQ Genetic Sequence Data Bank' "
    "release header precedes the first LOCUS; .seq extension")
add("biopython/GenBank/1MRR_A.gp", "biopython", BP + "GenBank/1MRR_A.gp", "genpept", "protein",
    "seq:genbank", "GenPept record (LOCUS ... aa) for a PDB chain")
add("biopython/GenBank/protein_refseq.gb", "biopython", BP + "GenBank/protein_refseq.gb", "genpept",
    "protein", "seq:genbank", "RefSeq protein record in GenPept format although named .gb")
add("biopython/GenBank/NP_416719.gbwithparts", "biopython", BP + "GenBank/NP_416719.gbwithparts",
    "genpept", "protein", "seq:genbank", "GenPept 'gbwithparts' download; odd extension")
add("biopython/GenBank/no_end_marker.gb", "biopython", BP + "GenBank/no_end_marker.gb", "genbank", "dna",
    "cds:genbank", "malformed: the final '//' end marker is missing; Biopython still reads the "
    "record (with a warning)")
add("biopython/GenBank/blank_seq.gb", "biopython", BP + "GenBank/blank_seq.gb", "genpept", "protein",
    "seq:genbank", "GenPept record whose ORIGIN section is empty: Biopython gives a sequence of "
    "undefined content (length from LOCUS); there are no residues to train on",
    protein_rows_override=0, first_seq_override="")

# --- Biopython: EMBL
add("biopython/EMBL/TRBG361.embl", "biopython", BP + "EMBL/TRBG361.embl", "embl", "dna", "cds:embl",
    "classic EMBL mRNA entry")
add("biopython/EMBL/U87107.embl", "biopython", BP + "EMBL/U87107.embl", "embl", "dna", "cds:embl")
add("biopython/EMBL/SC10H5.embl", "biopython", BP + "EMBL/SC10H5.embl", "embl", "dna", "cds:embl",
    "Streptomyces cosmid: 15 'CDS' mentions but NO /translation qualifiers")
add("biopython/EMBL/AAA03323.embl", "biopython", BP + "EMBL/AAA03323.embl", "embl", "dna", "cds:embl",
    "EMBL CDS-level entry (ID line 'unassigned DNA'); its sequence is DNA")
add("biopython/EMBL/epo_prt_selection.embl", "biopython", BP + "EMBL/epo_prt_selection.embl", "embl",
    "protein", "seq:embl", "EPO patent PROTEIN entries in EMBL format (ID ... protein; PRT); short "
    "synthetic peptides")
add("biopython/EMBL/Human_contigs.embl", "biopython", BP + "EMBL/Human_contigs.embl", "embl", "dna",
    "cds:embl", "CON (contig) entries: CO lines, no sequence data")

# --- Biopython: SwissProt flat files and UniProt XML
for name, note in [("sp012", "no extension"), ("sp016", "no extension, FOS_HUMAN"),
                   ("P0A186.txt", ""), ("Q13454.txt", ""),
                   ("multi_ex.txt", "several entries in one file")]:
    add("biopython/SwissProt/" + name, "biopython", BP + "SwissProt/" + name, "swiss", "protein",
        "seq:swiss", note)
add("biopython/SwissProt/multi_ex.fasta", "biopython", BP + "SwissProt/multi_ex.fasta", "fasta", "protein",
    "seq:fasta", "UniProt FASTA download (sp|ACC|NAME OS=... headers)")
add("biopython/SwissProt/multi_ex.gff", "biopython", BP + "SwissProt/multi_ex.gff", "gff", "none", "none",
    "UniProt GFF feature table (protein coordinates), no sequences")
for name in ["F2CXE6.xml", "P84001.xml", "Q13639.xml", "multi_ex.xml"]:
    add("biopython/SwissProt/" + name, "biopython", BP + "SwissProt/" + name, "uniprot-xml", "protein",
        "seq:uniprot-xml")
add("biopython/SwissProt/uni001", "biopython", BP + "SwissProt/uni001", "uniprot-xml", "protein",
    "seq:uniprot-xml", "UniProt XML with no file extension")
add("biopython/SwissProt/UniRef90_P99999.xml", "biopython", BP + "SwissProt/UniRef90_P99999.xml",
    "xml-other", "protein", "uniref-xml", "UniRef XML (root <UniRef>, namespace uniprot.org/uniref), not "
    "UniProtKB XML; one UniRef90 cluster entry whose representative member carries a sequence "
    "(counted by reading the XML with ElementTree)")

# --- Biopython: alignments
for name, mol, note in [("clustalw.aln", "protein", "CLUSTAL W 1.81"),
                        ("hedgehog.aln", "protein", ""),
                        ("protein.aln", "protein", "20 proteins, long alignment"),
                        ("opuntia.aln", "dna", "DNA alignment (Opuntia chloroplast)"),
                        ("odd_consensus.aln", "dna", "CLUSTAL 2.0.8 DNA alignment with an odd consensus line"),
                        ("muscle.aln", "dna", "MUSCLE 3.8 output in Clustal format, DNA, first row all gaps in "
                         "block 1")]:
    add("biopython/Clustalw/" + name, "biopython", BP + "Clustalw/" + name, "clustal", mol, "aln:clustal", note)
add("biopython/Clustalw/clustalw.a2m", "biopython", BP + "Clustalw/clustalw.a2m", "a3m", "protein",
    "seq:fasta", "A2M (UCSC/SAM) alignment: FASTA with '-' and lowercase insert columns; closest listed "
    "format is a3m")
add("biopython/Clustalw/msaprobs.fa", "biopython", BP + "Clustalw/msaprobs.fa", "aligned-fasta", "protein",
    "aln:fasta", "MSAProbs output, aligned FASTA")
for name, mol, note in [("simple.sth", "rna", "2 RNA rows with #=GC SS_cons"),
                        ("funny.sth", "protein", "unusual but valid Stockholm layout"),
                        ("pfam2.seed.txt", "protein", "Pfam seed alignment, .txt extension"),
                        ("rfam1.seed.txt", "rna", "Rfam seed alignment (RNA)"),
                        ("globins45.ali", "protein", "HMMER hmmalign output in Stockholm format with .ali "
                         "extension; #=GR PP lines")]:
    add("biopython/Stockholm/" + name, "biopython", BP + "Stockholm/" + name, "stockholm", mol,
        "aln:stockholm", note)
for name, fmt, mol, note in [("interlaced.phy", "phylip", "protein", "interleaved PHYLIP"),
                             ("sequential.phy", "phylip-sequential", "protein", "sequential PHYLIP"),
                             ("horses.phy", "phylip", "dna", "10 taxa DNA"),
                             ("hennigian.phy", "phylip", "dna", "10 taxa, A/C-only characters"),
                             ("one.dat", "phylip", "protein", "PHYLIP with .dat extension, 8 proteins")]:
    add("biopython/Phylip/" + name, "biopython", BP + "Phylip/" + name, "phylip", mol, "aln:" + fmt, note)
add("biopython/NBRF/DMB_prot.pir", "biopython", BP + "NBRF/DMB_prot.pir", "pir", "protein", "seq:pir",
    "PIR/NBRF protein records (>P1;)")
add("biopython/NBRF/Cw_prot.pir", "biopython", BP + "NBRF/Cw_prot.pir", "pir", "protein", "seq:pir",
    "PIR protein records")
add("biopython/NBRF/DMA_nuc.pir", "biopython", BP + "NBRF/DMA_nuc.pir", "pir", "dna", "seq:pir",
    "PIR DNA records (>DL;)")
add("biopython/NBRF/clustalw.pir", "biopython", BP + "NBRF/clustalw.pir", "pir", "dna", "seq:pir",
    "aligned DNA in PIR form (>DL;), '-' gaps")
add("biopython/NBRF/B_nuc_first120.pir", "biopython", BP + "NBRF/B_nuc.pir", "pir", "dna", "seq:pir",
    "PIR DNA records (>DL;), TRIMMED to the first 120 of 444 records (original 404 KB)",
    trim=("records", 120, ">"))
add("biopython/Nexus/test_Nexus_input.nex", "biopython", BP + "Nexus/test_Nexus_input.nex", "nexus", "dna",
    "aln:nexus", "NEXUS with data, sets and trees blocks")
add("biopython/Nexus/codonposset.nex", "biopython", BP + "Nexus/codonposset.nex", "nexus", "dna",
    "aln:nexus", "NEXUS DNA matrix with codon position sets")
add("biopython/Nexus/int_node_labels.nwk", "biopython", BP + "Nexus/int_node_labels.nwk", "newick", "none",
    "none", "Newick tree with internal node labels")

# --- Biopython: FASTQ
add("biopython/Quality/example.fastq", "biopython", BP + "Quality/example.fastq", "fastq", "dna",
    "seq:fastq")
add("biopython/Quality/example.fastq.gz", "biopython", BP + "Quality/example.fastq.gz", "fastq", "dna",
    "seq:fastq", "gzip FASTQ", comp="gzip")
add("biopython/Quality/example.fastq.bgz", "biopython", BP + "Quality/example.fastq.bgz", "fastq", "dna",
    "seq:fastq", "BGZF FASTQ", comp="bgzf")
add("biopython/Quality/tricky.fastq", "biopython", BP + "Quality/tricky.fastq", "fastq", "dna", "seq:fastq",
    "quality lines starting with '@' and '+'")
add("biopython/Quality/misc_rna_original_sanger.fastq", "biopython",
    BP + "Quality/misc_rna_original_sanger.fastq", "fastq", "rna", "seq:fastq", "RNA reads (U)")
add("biopython/Quality/error_trunc_in_seq.fastq", "biopython", BP + "Quality/error_trunc_in_seq.fastq",
    "fastq", "dna", "seq:fastq", "malformed: the 5th record is truncated inside its sequence; records = the "
    "complete records Biopython returns before it raises")

# --- Biopython: BLAST / HMMER
add("biopython/Blast/xml_2226_blastp_001.xml", "biopython", BP + "Blast/xml_2226_blastp_001.xml",
    "blast-xml", "none", "search:blast-xml", "BLASTP 2.2.26+ XML")
add("biopython/Blast/xml2_21500_blastp_001.xml", "biopython", BP + "Blast/xml2_21500_blastp_001.xml",
    "blast-xml", "none", "search:bio-blast", "BLAST XML2 schema (BlastXML2); Biopython SearchIO "
    "'blast-xml' silently yields 0 queries on it, Bio.Blast.parse reads it")
add("biopython/Blast/phiblast.xml", "biopython", BP + "Blast/phiblast.xml", "blast-xml", "none",
    "search:blast-xml", "PHI-BLAST XML")
add("biopython/Blast/tab_2226_tblastn_001.txt", "biopython", BP + "Blast/tab_2226_tblastn_001.txt",
    "blast-tab", "none", "search:blast-tab", "outfmt 6, no comments")
add("biopython/Blast/mirna.tab", "biopython", BP + "Blast/mirna.tab", "blast-tab", "none",
    "search:blast-tab:comments", "BLASTN outfmt 7, .tab extension")
add("biopython/Blast/html_msgid_29_blastx_001.html", "biopython", BP + "Blast/html_msgid_29_blastx_001.html",
    "html", "none", "none", "BLASTX HTML output page")
add("biopython/Hmmer/text_30_hmmscan_001.out", "biopython", BP + "Hmmer/text_30_hmmscan_001.out", "hmmer",
    "none", "search:hmmer3-text", "HMMER 3.0 hmmscan text output")
add("biopython/Hmmer/tab_30_hmmscan_001.out", "biopython", BP + "Hmmer/tab_30_hmmscan_001.out", "hmmer",
    "none", "search:hmmer3-tab", "HMMER --tblout table")
add("biopython/Hmmer/domtab_30_hmmscan_001.out", "biopython", BP + "Hmmer/domtab_30_hmmscan_001.out",
    "hmmer", "none", "search:hmmscan3-domtab", "HMMER --domtblout table")

# --- Biopython: structures and others
add("biopython/PDB/1A8O.pdb", "biopython", BP + "PDB/1A8O.pdb", "pdb", "protein", "pdb:pdb-seqres",
    "PDB entry, one protein chain (HIV-1 capsid C-terminal domain), selenomethionine (MSE) residues")
add("biopython/PDB/1A8O.cif", "biopython", BP + "PDB/1A8O.cif", "mmcif", "protein", "pdb:cif-seqres",
    "same entry as mmCIF")
add("biopython/PDB/2n0n_M1.pdb", "biopython", BP + "PDB/2n0n_M1.pdb", "pdb", "protein", "pdb:pdb-atom",
    "single NMR model, ATOM records only (no SEQRES): counted with 'pdb-atom'")
add("biopython/Abi/310.ab1", "biopython", BP + "Abi/310.ab1", "binary", "dna", "seq:abi",
    "ABI 310 Sanger trace (binary ABIF)")
add("biopython/SamBam/sam1.sam", "biopython", BP + "SamBam/sam1.sam", "sam", "dna", "sam",
    "SAM alignments (header + reads); records = alignment lines read by Bio.Align 'sam'")
add("biopython/SamBam/bam1.bam", "biopython", BP + "SamBam/bam1.bam", "binary", "dna", "none",
    "BAM: binary alignments inside BGZF; gunzips to binary BAM, not text", comp="bgzf")
add("biopython/SeqXML/protein_example.xml", "biopython", BP + "SeqXML/protein_example.xml", "xml-other",
    "protein", "seq:seqxml", "SeqXML (not UniProt XML); Biopython 'seqxml' reads it")
add("biopython/SeqXML/dna_example.xml", "biopython", BP + "SeqXML/dna_example.xml", "xml-other", "dna",
    "seq:seqxml", "SeqXML with DNA records")
add("biopython/Emboss/needle.txt", "biopython", BP + "Emboss/needle.txt", "other", "protein", "aln:emboss",
    "EMBOSS needle pairwise alignment report (several pairs); records = rows over all pairs")
add("biopython/IntelliGenetics/VIF_mase-pro.txt", "biopython", BP + "IntelliGenetics/VIF_mase-pro.txt",
    "other", "protein", "seq:ig", "IntelliGenetics/MASE format (';' comment blocks), protein")

# --- Biotite
TS = "tests/sequence/data/"
add("biotite/cas9.fasta", "biotite", TS + "cas9.fasta", "fasta", "protein", "seq:fasta",
    "SpCas9 and 9 other Cas9 orthologues (UniProt sp| headers)")
add("biotite/selenocysteine.fasta", "biotite", TS + "selenocysteine.fasta", "fasta", "protein",
    "seq:fasta-pearson", "a ';' comment line right after the header: Biopython's plain 'fasta' parser "
    "would keep it AS SEQUENCE (';NCBIBLAST...'), so 'fasta-pearson' (which drops ';' lines) is used; "
    "the sequence contains U (selenocysteine)")
add("biotite/invalid.fasta", "biotite", TS + "invalid.fasta", "fasta", "dna", "seq:fasta",
    "'>its a trap' / 'ACG?TG': FASTA syntax but '?' is not a residue letter (biotite's test of an "
    "invalid symbol); Biopython reads it without complaint")
add("biotite/alignment.fasta", "biotite", TS + "alignment.fasta", "aligned-fasta", "protein", "aln:fasta",
    "toy alignment; gaps written both as '-' and as '_' (underscore)")
add("biotite/gg_avidin.gb", "biotite", TS + "gg_avidin.gb", "genbank", "dna", "cds:genbank",
    "chicken avidin mRNA")
add("biotite/influenca.gb", "biotite", TS + "influenca.gb", "genbank", "rna", "cds:genbank",
    "influenza segment (viral RNA stored as DNA letters)")
add("biotite/bt_lysozyme.gp", "biotite", TS + "bt_lysozyme.gp", "genpept", "protein", "seq:genbank")
add("biotite/multifile.gp", "biotite", TS + "multifile.gp", "genpept", "protein", "seq:genbank",
    "several GenPept records")
add("biotite/bt_lysozyme.gff3", "biotite", TS + "bt_lysozyme.gff3", "gff", "none", "none",
    "GFF3 features, no ##FASTA section")
add("biotite/1a00_A_uniref90_first400.a3m", "biotite", TS + "1a00_A_uniref90.a3m", "a3m", "protein",
    "seq:fasta-pearson", "OpenFold/OpenProteinSet A3M vs UniRef90: two ';' comment lines before the first '>' "
    "(plain 'fasta' refuses, 'fasta-pearson' used), lowercase insertions, '-' gaps; TRIMMED to the "
    "first 400 records (original 926 KB)", trim=("records", 400, ">"))
add("biotite/i3d.fasta", "biotite", "tests/structure/data/alphabet/i3d.fasta", "fasta", "none",
    "seq:fasta", "3Di structural-alphabet strings (Foldseek), NOT amino acids although the letters "
    "look like them: molecule 'none' and protein_rows 0 (a user should not train on it as protein)",
    protein_rows_override=0, first_seq_override="")
add("biotite/1aki.pdb", "biotite", "tests/structure/data/pdb/1aki.pdb", "pdb", "protein", "pdb:pdb-seqres",
    "hen lysozyme")
add("biotite/1aki.cif", "biotite", "tests/structure/data/pdb/1aki.cif", "mmcif", "protein",
    "pdb:cif-seqres", "hen lysozyme as mmCIF")
add("biotite/1bna.pdb", "biotite", "tests/structure/data/base_pairs/1bna.pdb", "pdb", "dna", "pdb:pdb-seqres",
    "B-DNA dodecamer, no protein; Biopython 'pdb-seqres' still yields 2 chains of X (molecule_type "
    "'protein')", protein_rows_override=0, first_seq_override="")
add("biotite/hetatm.pdb", "biotite", "tests/structure/data/edge_cases/hetatm.pdb", "pdb", "none",
    "pdb:pdb-atom", "only HETATM records (a ligand), no polymer chain")

# --- scikit-bio
SK = "skbio/io/format/tests/data/"
add("skbio/fasta_multi_seq", "skbio", SK + "fasta_multi_seq", "fasta", "mixed", "seq:fasta",
    "no extension; 6 records: DNA/RNA ones with '-', '.', lower case, empty ids ('>' alone, '> desc3'), "
    "and one protein written in mixed case (pQqqqPPQQQ); a one-letter record 'A' is counted as "
    "nucleotide", prot="letters")
add("skbio/fasta_prot_seqs_odd_labels", "skbio", SK + "fasta_prot_seqs_odd_labels", "fasta", "protein",
    "seq:fasta", "first header is only whitespace (empty id), second header has tabs around 'skbio'; "
    "sequence lines padded with spaces and tabs, which Biopython strips (DEFQfp, SKBI)")
add("skbio/fasta_invalid_missing_header", "skbio", SK + "fasta_invalid_missing_header", "other", "none",
    "seq:fasta", "malformed: sequence data before any '>' header", expect_error=True)
add("skbio/fastq_multi_seq_sanger", "skbio", SK + "fastq_multi_seq_sanger", "fastq", "dna", "seq:fastq")
add("skbio/genbank_multi_records", "skbio", SK + "genbank_multi_records", "genbank", "mixed", "cds:genbank",
    "two records: a 9 aa protein record (LOCUS ... aa) and a 9 bp DNA record; Biopython sets no "
    "molecule_type for the aa record", prot="genbank-aa")
add("skbio/embl_uniprot_record", "skbio", SK + "embl_uniprot_record", "swiss", "protein", "seq:swiss",
    "named 'embl' but the content is a UniProtKB/Swiss-Prot flat file (ID ... Reviewed; 256 AA.)")
add("skbio/gff3_dna", "skbio", SK + "gff3_dna", "gff", "dna", "gff-fasta",
    "GFF3 with a ##FASTA section holding DNA (records counted in that section)")
add("skbio/blast7_default_multi_line", "skbio", SK + "blast7_default_multi_line", "blast-tab", "none",
    "search:blast-tab:comments", "outfmt 7 with a '0 hits found' block")
add("skbio/stockholm_extensive", "skbio", SK + "stockholm_extensive", "stockholm", "protein",
    "aln:stockholm", "GF/GS/GR/GC markup, '.' gaps")
add("skbio/stockholm_multiple_msa", "skbio", SK + "stockholm_multiple_msa", "stockholm", "rna",
    "aln:stockholm", "two identical RNA alignments in one file; records = rows of both")
add("skbio/phylip_dna_3_seqs", "skbio", SK + "phylip_dna_3_seqs", "phylip", "dna", "byhand:1",
    "relaxed PHYLIP whose rows contain '.' (scikit-bio allows it): Biopython 1.88 raises 'PHYLIP format "
    "no longer allows dots in sequence'; counted by reading the rows by hand")
add("skbio/il6.prot.aln", "skbio", "skbio/alignment/tests/data/il6.prot.aln", "aligned-fasta", "protein",
    "aln:fasta", ".aln extension but aligned FASTA (not Clustal)")
add("skbio/tp53.nucl.aln", "skbio", "skbio/alignment/tests/data/tp53.nucl.aln", "aligned-fasta", "dna",
    "aln:fasta", ".aln extension but aligned FASTA, DNA with '-' gaps")
add("skbio/16s.frn", "skbio", "skbio/alignment/tests/data/16s.frn", "fasta", "dna", "seq:fasta",
    "16S rRNA genes written with T (.frn)")
add("skbio/pdb_hits.txt", "skbio", SK + "pdb_hits.txt", "other", "protein", "lines",
    "raw protein sequences, one per line, no headers (no Biopython format); records = non-empty "
    "lines counted by hand")
add("skbio/tree.nwk", "skbio", "skbio/diversity/beta/tests/data/qiime-191-tt/tree.nwk", "newick", "none",
    "none")
add("skbio/otu-table.tsv", "skbio", "skbio/diversity/beta/tests/data/qiime-191-tt/otu-table.tsv", "tsv",
    "none", "csv", "QIIME OTU table; first line is a '# Constructed from biom file' comment and the "
    "header line starts with '#OTU ID' (read with skiprows=1)",
    csv=dict(sep="\t", skiprows=1), sequence_column="", label_column="", id_column="#OTU ID")

# --- csvkit
CK = "examples/"
def ck(local, path, note="", sep=",", label="", idc="", **csvkw):
    add("csvkit/" + local, "csvkit", CK + path, "tsv" if sep == "\t" else "csv", "none", "csv", note,
        csv=dict(sep=sep, **csvkw), sequence_column="", label_column=label, id_column=idc)
ck("iris.csv", "iris.csv", "iris flowers: numbers + species names (words, not proteins)", label="species")
ck("dummy.csv", "dummy.csv", "one data row a,b,c")
ck("bad.csv", "bad.csv", "malformed: header has 3 fields, the first data row 4, the second 2; pandas "
   "(defaults) does not raise but silently turns the first column into the index (rows = 3)")
ck("no_header_row.csv", "no_header_row.csv", "no header row: just '1,2,3' (read with header=None)",
   header=None)
ck("mac_newlines.csv", "mac_newlines.csv", "classic Mac OS file: a,b,c header and two rows")
ck("test_latin1.csv", "test_latin1.csv", "Latin-1 encoded (not UTF-8); read with encoding='latin-1'",
   encoding="latin-1")
ck("test_utf8_bom.csv", "test_utf8_bom.csv", "UTF-8 text starting with a BOM (pandas strips it from the first "
   "column name)")
ck("test_utf16_little.csv", "test_utf16_little.csv", "UTF-16 LE with BOM, spaces around fields; read "
   "with encoding='utf-16'", encoding="utf-16")
ck("null_byte.csv", "null_byte.csv", "the first cell of the data row is a NUL byte")
ck("test_geo.csv", "test_geo.csv", "public-art table with long free-text descriptions", idc="slug")
ck("FY09_EDU_Recipients_by_State.csv", "realdata/FY09_EDU_Recipients_by_State.csv",
   "real data: numbers with thousands separators in quotes, trailing empty column")
ck("ks_1033_data.csv", "realdata/ks_1033_data.csv", "real data: military surplus items (words, codes, "
   "dates)")
add("csvkit/dummy.csv.gz", "csvkit", CK + "dummy.csv.gz", "csv", "none", "csv", "gzip-compressed CSV",
    comp="gzip", csv=dict(sep=","), sequence_column="", label_column="", id_column="")
add("csvkit/dummy.csv.bz2", "csvkit", CK + "dummy.csv.bz2", "csv", "none", "csv", "bzip2-compressed CSV",
    comp="bz2", csv=dict(sep=","), sequence_column="", label_column="", id_column="")
add("csvkit/testjson.json", "csvkit", CK + "testjson.json", "json", "none", "none", "JSON array of objects")
add("csvkit/empty.csv", "csvkit", CK + "empty.csv", "csv", "none", "none",
    "essentially empty: a single newline (pandas raises EmptyDataError)")

# --- ColabFold
add("colabfold/P54025.fasta", "colabfold", "test-data/P54025.fasta", "fasta", "protein", "seq:fasta",
    "one UniProt protein (sp| header)")
add("colabfold/6A5J.a3m", "colabfold", "test-data/a3m/6A5J.a3m", "a3m", "protein", "seq:fasta",
    "two identical rows with the same id '101'")
add("colabfold/5AWL1.a3m", "colabfold", "test-data/a3m/5AWL1.a3m", "a3m", "protein", "seq:fasta",
    "single-row a3m (query only, 10 residues)")
add("colabfold/complex_input.csv", "colabfold", "test-data/complex/input.csv", "csv", "protein", "csv",
    "ColabFold batch CSV id,sequence; the complex row joins two chains with ':' in one cell",
    csv=dict(sep=","), sequence_column="sequence", label_column="", id_column="id")
add("colabfold/test_a5e17_10_first300.a3m", "colabfold", "test_a5e17_10/test_a5e17_10.a3m", "a3m",
    "protein", "seq:fasta-pearson", "ColabFold/MMseqs2 combined MSA: starts with a '#59\\t1' line "
    "(query length, cardinality) before the first '>', so Biopython 'fasta' refuses it and "
    "'fasta-pearson' is used; headers carry tab-separated MMseqs2 scores; TRIMMED to the first 300 "
    "records (original 981 KB); from a commit later removed from HEAD",
    commit=CF_OLD, trim=("records", 300, ">"))
add("colabfold/test_a5e17_10_uniref_first300.a3m", "colabfold",
    "test_a5e17_10/test_a5e17_10_env/uniref.a3m", "a3m", "protein", "seq:fasta",
    "MMseqs2 uniref.a3m (no '#' line); TRIMMED to first 300 records (original 511 KB)",
    commit=CF_OLD, trim=("records", 300, ">"))
add("colabfold/test_a5e17_10_bfd_env_first300.a3m", "colabfold",
    "test_a5e17_10/test_a5e17_10_env/bfd.mgnify30.metaeuk30.smag30.a3m", "a3m", "protein", "seq:fasta",
    "environmental-database a3m (renamed from bfd.mgnify30.metaeuk30.smag30.a3m); TRIMMED to first "
    "300 records (original 470 KB)", commit=CF_OLD, trim=("records", 300, ">"))
add("colabfold/test_a5e17_10_pdb70.m8", "colabfold", "test_a5e17_10/test_a5e17_10_env/pdb70.m8",
    "blast-tab", "none", "search:blast-tab", "MMseqs2 template hits, BLAST-tab-like .m8 with an extra "
    "CIGAR column (13 columns; SearchIO reads it only if told the field list, so read as 12 std + 1)",
    commit=CF_OLD, searchio_fields=True)
add("colabfold/alt_97_0.1.a3m", "colabfold", "alt_97_0.1.a3m", "a3m", "protein", "seq:fasta",
    "designed-sequence a3m: long header with key=value scores; second row is a poly-A placeholder",
    commit=CF_ALT)
add("colabfold/get_msa_uniref.json", "colabfold", "test-data/mmseqs-api-reponses/get_msa_uniref.json",
    "json", "none", "none", "MMseqs2 API response (JSON); the a3m text is embedded in JSON strings")
add("colabfold/ERR550519_2213899_unrelaxed_model_1.pdb", "colabfold",
    "test-data/ERR550519_2213899_unrelaxed_model_1.pdb", "pdb", "protein", "pdb:pdb-atom",
    "AlphaFold/ColabFold predicted model: ATOM only, pLDDT in B-factor column, no SEQRES")

# --- AF_unmasked (AlphaFold multimer inputs)
AF = "examples/"
add("af_unmasked/H1137.fasta", "af_unmasked", AF + "H1137/H1137.fasta", "fasta", "protein", "seq:fasta",
    "AlphaFold-multimer style FASTA, CASP15 H1137: ids like 'H1137,subunit1|_0' with commas and "
    "pipes, 10 chains (subunit7 twice: _0 and _1); labels in made/H1137_labels.csv")
add("af_unmasked/H1142.fasta", "af_unmasked", AF + "H1142/H1142.fasta", "fasta", "protein", "seq:fasta",
    "AlphaFold-multimer style FASTA, 2 chains")
add("af_unmasked/H1137_template_pdb_seqres.txt", "af_unmasked", AF + "H1137/template_data/pdb_seqres.txt",
    "fasta", "protein", "seq:fasta", "pdb_seqres.txt-style FASTA ('>0000_A mol:protein length:390')")
add("af_unmasked/H1142_A_bfd_uniref_hits.a3m", "af_unmasked", AF + "H1142/msas/A/bfd_uniref_hits.a3m",
    "a3m", "protein", "seq:fasta", "AlphaFold HHblits BFD/UniRef a3m (renamed from msas/A/)")
add("af_unmasked/H1142_B_bfd_uniref_hits_first500.a3m", "af_unmasked", AF + "H1142/msas/B/bfd_uniref_hits.a3m",
    "a3m", "protein", "seq:fasta", "AlphaFold HHblits a3m, TRIMMED to first 500 of 1456 records "
    "(original 351 KB)",
    trim=("records", 500, ">"))
add("af_unmasked/H1137_A_uniref90_hits.sto", "af_unmasked", AF + "H1137/msas/A/uniref90_hits.sto",
    "stockholm", "protein", "aln:stockholm",
    "jackhmmer Stockholm output from AlphaFold's pipeline, wrapped in several blocks; "
    "heavily gapped")
add("af_unmasked/H1142_A_pdb_hits.sto", "af_unmasked", AF + "H1142/msas/A/pdb_hits.sto", "stockholm",
    "protein", "byhand:0", "template alignment written by AF_unmasked's prepare_templates.py: "
    "Stockholm body WITHOUT the '# STOCKHOLM 1.0' header and without '//': Biopython raises 'Did not find "
    "STOCKHOLM header'; counted by reading the rows by hand")

# --- pyhmmer
PH = "src/pyhmmer/tests/data/"
add("pyhmmer/HG003687_first600.faa", "pyhmmer", PH + "seqs/938293.PRJEB85.HG003687.faa", "fasta", "protein",
    "seq:fasta", "Prodigal protein predictions: headers '>ID # start # end # strand # ID=...;partial=..'; "
    "'*' stop codons at sequence ends; TRIMMED to the first 600 of 2100 records (original 982 KB; "
    "renamed from 938293.PRJEB85.HG003687.faa)", trim=("records", 600, ">"))
add("pyhmmer/LuxC.faa", "pyhmmer", PH + "seqs/LuxC.faa", "fasta", "protein", "seq:fasta", "UniProt LuxC set")
add("pyhmmer/LuxC_msa.sto", "pyhmmer", PH + "msa/LuxC.sto", "stockholm", "protein", "aln:stockholm",
    "hmmalign-style Stockholm (renamed from msa/LuxC.sto)")
add("pyhmmer/CP040672.1.genes_first40.fna", "pyhmmer", PH + "seqs/CP040672.1.genes_100.fna", "fasta", "dna",
    "seq:fasta", "NCBI cds_from_genomic FASTA (lcl|..._cds_WP_... [locus_tag=..] [protein=..]); protein "
    "names in the headers but DNA sequences; TRIMMED to first 40 of 100 records",
    trim=("records", 40, ">"))
add("pyhmmer/BGC0001090.gbk", "pyhmmer", PH + "seqs/BGC0001090.gbk", "genbank", "dna", "cds:genbank",
    "MIBiG biosynthetic gene cluster GenBank, many CDS with translations")
add("pyhmmer/PF02826.domtbl", "pyhmmer", PH + "tables/PF02826.domtbl", "hmmer", "none",
    "search:hmmsearch3-domtab", "hmmsearch --domtblout")

# --- pandas (read from the stored file index; text kept as checked in)
add("pandas/test1.csv", "pandas", "pandas/tests/io/data/csv/test1.csv", "csv", "none", "csv",
    "dates + 4 float columns", commit="8a589f08387fe70f845ea53f9a6da0c735a875c8",
    csv=dict(sep=","), sequence_column="", label_column="", id_column="index")
add("pandas/salaries_comments.csv", "pandas", "pandas/tests/io/parser/data/salaries_comments.csv", "csv",
    "none", "csv", "three '#' comment lines before the header (read with comment='#')",
    commit="00059f5a57bd1cdc5ef1bf2862dcfa5a6174d98b",
    csv=dict(sep=",", comment="#"), sequence_column="", label_column="", id_column="")
add("pandas/salaries_comments.tsv", "pandas", "pandas/tests/io/parser/data/salaries_comments.tsv", "tsv",
    "none", "csv", "tab-separated, '#' comment lines first (read with comment='#')",
    commit="00059f5a57bd1cdc5ef1bf2862dcfa5a6174d98b",
    csv=dict(sep="\t", comment="#"), sequence_column="", label_column="", id_column="")

# --- GABRAH (pdb_seqres excerpt)
add("gabrah/pdb_seqres.txt", "gabrah", "pdb_seqres.txt", "fasta", "protein", "seq:fasta",
    "excerpt of RCSB/wwPDB pdb_seqres.txt: '>101m_A mol:protein length:154  MYOGLOBIN'; all records "
    "are mol:protein (no mol:na in this excerpt); duplicate ids (10mh_A twice); re-typed from the "
    "stored-index text of the file (which reports 9662 characters, this copy has 9659: a few whitespace "
    "characters may differ; every header's length: matches its sequence)",
    prot="seqres-desc")

# --- made here
made("made/two_members.fasta.gz", "pyhmmer/LuxC.faa + biopython/GenBank/NC_005816.faa", "fasta", "protein",
     "seq:fasta", "multi-member gzip: 'gzip -c LuxC.faa' and 'gzip -c NC_005816.faa' concatenated; "
     "count is over the whole zcat output (both members)", comp="gzip-multi", build="gzip_multi")
made("made/HG003687_first600.faa.bgz", "pyhmmer/HG003687_first600.faa", "fasta", "protein", "seq:fasta",
     "BGZF written with Bio.bgzf.BgzfWriter (several 64 KB blocks)", comp="bgzf", build="bgzf")
made("made/NC_005816.faa.bz2", "biopython/GenBank/NC_005816.faa", "fasta", "protein", "seq:fasta",
     "bzip2 of the protein FASTA", comp="bz2", build="bz2")
made("made/NC_005816.faa.xz", "biopython/GenBank/NC_005816.faa", "fasta", "protein", "seq:fasta",
     "xz of the protein FASTA", comp="xz", build="xz")
made("made/NC_005816.faa.zip", "biopython/GenBank/NC_005816.faa", "fasta", "protein", "seq:fasta",
     "zip with one member NC_005816.faa", comp="zip", build="zip1")
made("made/two_fastas.zip", "biopython/GenBank/NC_005816.faa + pyhmmer/LuxC.faa", "zip", "protein",
     "zip-all", "two members: NC_005816.faa and LuxC.faa; counts are the sum over both members",
     comp="zip", build="zip2")
made("made/opuntia_gapped_dna.fasta", "biopython/Clustalw/opuntia.aln", "aligned-fasta", "dna", "aln:fasta",
     "real Clustal DNA alignment rewritten as aligned FASTA with '-' gaps by Bio.AlignIO.write",
     build="aln2fasta")
made("made/NC_000932_labels.csv", "biopython/GenBank/NC_000932.faa", "csv", "none", "csv",
     "label CSV for biopython/GenBank/NC_000932.faa: ids exactly as after '>' up to the first space, "
     "labels 0/1 alternating", build="labels:biopython/GenBank/NC_000932.faa",
     csv=dict(sep=",", dtype={"id": str}), sequence_column="", label_column="label", id_column="id")
made("made/H1137_labels.csv", "af_unmasked/H1137.fasta", "csv", "none", "csv",
     "label CSV for af_unmasked/H1137.fasta: ids with commas and pipes (e.g. H1137,subunit1|_0) are "
     "quoted by the csv writer; labels 0/1 alternating", build="labels:af_unmasked/H1137.fasta",
     csv=dict(sep=",", dtype={"id": str}), sequence_column="", label_column="label", id_column="id")
made("made/rose_plus_aster.fasta", "biopython/Fasta/rose.pro + biopython/Fasta/aster.pro", "fasta",
     "protein", "seq:fasta", "plain concatenation (cat) of two protein FASTA files", build="cat")


# --------------------------------------------------------------------------- copying
def git_show(project, path, commit=None):
    mirror, _url, head, _lic = PROJECTS[project]
    repo = MIRROR / mirror / "repo"
    ref = commit or head
    return subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], check=True,
                          capture_output=True).stdout


def trim_records(data: bytes, n: int, marker: str) -> bytes:
    out, seen = [], 0
    for line in data.splitlines(keepends=True):
        if line.startswith(marker.encode()):
            seen += 1
            if seen > n:
                break
        out.append(line)
    return b"".join(out)


def build_made(e):
    dest = HERE / e["local"]
    b = e["build"]
    if b == "gzip_multi":
        parts = [subprocess.run(["gzip", "-c", "-n", str(HERE / p)], check=True,
                                capture_output=True).stdout
                 for p in ("pyhmmer/LuxC.faa", "biopython/GenBank/NC_005816.faa")]
        dest.write_bytes(b"".join(parts))
    elif b == "bgzf":
        from Bio import bgzf
        with bgzf.BgzfWriter(str(dest), "wb") as w:
            w.write((HERE / "pyhmmer/HG003687_first600.faa").read_bytes())
    elif b == "bz2":
        dest.write_bytes(bz2.compress((HERE / "biopython/GenBank/NC_005816.faa").read_bytes()))
    elif b == "xz":
        dest.write_bytes(lzma.compress((HERE / "biopython/GenBank/NC_005816.faa").read_bytes()))
    elif b in ("zip1", "zip2"):
        members = ["biopython/GenBank/NC_005816.faa"] + (["pyhmmer/LuxC.faa"] if b == "zip2" else [])
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
            for m in members:
                info = zipfile.ZipInfo(Path(m).name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, (HERE / m).read_bytes())
    elif b == "aln2fasta":
        from Bio import AlignIO
        aln = AlignIO.read(str(HERE / "biopython/Clustalw/opuntia.aln"), "clustal")
        with open(dest, "w") as h:
            AlignIO.write(aln, h, "fasta")
    elif b.startswith("labels:"):
        import csv
        src = HERE / b.split(":", 1)[1]
        ids = [line[1:].split(None, 1)[0] if line[1:].strip() else ""
               for line in src.read_text().splitlines() if line.startswith(">")]
        with open(dest, "w", newline="") as h:
            w = csv.writer(h, lineterminator="\n")
            w.writerow(["id", "label"])
            for i, x in enumerate(ids):
                w.writerow([x, i % 2])
    elif b == "cat":
        dest.write_bytes((HERE / "biopython/Fasta/rose.pro").read_bytes()
                         + (HERE / "biopython/Fasta/aster.pro").read_bytes())
    else:
        raise ValueError(b)


def copy_all():
    for e in ENTRIES:
        if e.get("build"):
            continue
        if PROJECTS[e["project"]][0] is None:   # kept as checked in
            assert (HERE / e["local"]).exists(), e["local"]
            continue
        data = git_show(e["project"], e["path"], e["commit"])
        if e["trim"]:
            kind, n, marker = e["trim"]
            data = trim_records(data, n, marker)
        dest = HERE / e["local"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    (HERE / "made").mkdir(exist_ok=True)
    for e in ENTRIES:
        if e.get("build"):
            build_made(e)


# --------------------------------------------------------------------------- counting
def zcat(path: Path) -> bytes:
    return subprocess.run(["zcat", str(path)], check=True, capture_output=True).stdout


def decompressed(e) -> bytes:
    p = HERE / e["local"]
    c = e["compression"]
    if c in ("gzip", "gzip-multi", "bgzf"):
        return zcat(p)
    if c == "bz2":
        return subprocess.run(["bzcat", str(p)], check=True, capture_output=True).stdout
    if c == "xz":
        return subprocess.run(["xzcat", str(p)], check=True, capture_output=True).stdout
    if c == "zip":
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
            return b"".join(z.read(n) for n in names)
    return p.read_bytes()


def text_handle(e):
    return io.StringIO(decompressed(e).decode("utf-8", errors="replace"))


GAPS = str.maketrans("", "", "-.")
NUC = set("ACGTUN")


def clean(s: str) -> str:
    return str(s).translate(GAPS).upper()


def looks_protein(seq: str) -> bool:
    s = set(clean(seq)) - {"*"}
    return bool(s) and not s <= NUC and s != {"X"}


def count(e) -> dict:
    """Independent ground truth: records, protein_rows, first_id, first_sequence_start."""
    from Bio import AlignIO, SeqIO
    how = e["how"]
    mol = e["molecule"]
    res = dict(records=0, protein_rows=0, first_id="", first_sequence_start="")
    extra_note = ""

    def finish_rows(rows):
        # rows: list of (id, seq, is_protein)
        res["records"] = len(rows)
        if rows:
            res["first_id"] = rows[0][0]
        prot = [r for r in rows if r[2]]
        res["protein_rows"] = len(prot)
        if prot:
            res["first_sequence_start"] = clean(prot[0][1])[:15]

    def prot_flag(rec_id, seq, rec=None):
        rule = e.get("prot")
        if mol == "protein":
            return True
        if mol in ("dna", "rna", "none"):
            return False
        if rule == "letters":
            return looks_protein(seq)
        if rule == "seqres-desc":
            return "mol:protein" in rec.description
        if rule == "genbank-aa":
            return rec.annotations.get("molecule_type") == "protein"
        raise ValueError(f"mixed file without a rule: {e['local']}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how.startswith("seq:"):
            fmt = how[4:]
            rows = []
            try:
                if fmt == "abi":
                    recs = SeqIO.parse(str(HERE / e["local"]), "abi")
                elif fmt in ("uniprot-xml", "seqxml"):
                    recs = SeqIO.parse(io.BytesIO(decompressed(e)), fmt)
                else:
                    recs = SeqIO.parse(text_handle(e), fmt)
                for r in recs:
                    rows.append((r.id, str(r.seq) if r.seq.defined else "", None, r))
            except Exception as ex:  # noqa: BLE001 - record what Biopython does
                if not e.get("expect_error") and "error_" not in e["local"]:
                    raise
                extra_note = f"Biopython '{fmt}' raises {type(ex).__name__}"
                if rows:
                    extra_note += f" after {len(rows)} complete record(s)"
            finish_rows([(i, s, prot_flag(i, s, r)) for i, s, _, r in rows])
        elif how == "zip-all":
            rows = []
            with zipfile.ZipFile(HERE / e["local"]) as z:
                for n in z.namelist():
                    for r in SeqIO.parse(io.StringIO(z.read(n).decode()), "fasta"):
                        rows.append((r.id, str(r.seq), True))
            finish_rows(rows)
        elif how.startswith("aln:"):
            fmt = how[4:]
            rows = []
            alns = list(AlignIO.parse(text_handle(e), fmt))
            for a in alns:
                for r in a:
                    rows.append((r.id, str(r.seq), prot_flag(r.id, str(r.seq), r)))
            if len(alns) > 1:
                extra_note = f"AlignIO '{fmt}' reads {len(alns)} alignments"
            finish_rows(rows)
        elif how.startswith("cds:"):
            fmt = how[4:]
            recs = list(SeqIO.parse(text_handle(e), fmt))
            res["records"] = len(recs)
            res["first_id"] = recs[0].id if recs else ""
            trans = []
            for r in recs:
                if e.get("prot") == "genbank-aa" and looks_protein(str(r.seq)):
                    trans.append(str(r.seq))
                    continue
                for f in r.features:
                    if f.type == "CDS" and "translation" in f.qualifiers:
                        trans.append(f.qualifiers["translation"][0])
            res["protein_rows"] = len(trans)
            res["first_sequence_start"] = clean(trans[0])[:15] if trans else ""
            extra_note = f"{len(trans)} CDS /translation qualifier(s)" if e.get("prot") != "genbank-aa" \
                else ""
        elif how.startswith("pdb:"):
            fmt = how[4:]
            recs = list(SeqIO.parse(str(HERE / e["local"]), fmt))
            finish_rows([(r.id, str(r.seq), looks_protein(str(r.seq))) for r in recs])
        elif how == "uniref-xml":
            import xml.etree.ElementTree as ET
            root = ET.parse(HERE / e["local"]).getroot()
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            seqs = root.iter(ns + "sequence")
            rows = []
            for entry in root.iter(ns + "entry"):
                rid = entry.get("id")
                for s in entry.iter(ns + "sequence"):
                    rows.append((rid, "".join(s.text.split()), True))
            try:
                n_uni = len(list(SeqIO.parse(io.BytesIO(decompressed(e)), "uniprot-xml")))
                extra_note = f"SeqIO 'uniprot-xml' yields {n_uni}"
            except ValueError as ex:
                extra_note = f"SeqIO 'uniprot-xml' raises ValueError ({str(ex)[:60]}...)"
            del seqs
            finish_rows(rows)
        elif how.startswith("byhand:"):
            # 'name  sequence' rows; skip N header lines, '#' markup, '//' and blank lines
            skip = int(how.split(":")[1])
            rows = []
            for line in decompressed(e).decode().splitlines()[skip:]:
                if not line.strip() or line.startswith("#") or line.startswith("//"):
                    continue
                name, seq = line.split(None, 1)
                rows.append((name, "".join(seq.split()), mol == "protein"))
            finish_rows(rows)
        elif how == "lines":
            lines = [x.strip() for x in decompressed(e).decode().splitlines() if x.strip()]
            finish_rows([("", x, mol == "protein") for x in lines])
        elif how == "gff-fasta":
            txt = decompressed(e).decode()
            fasta = txt.split("##FASTA", 1)[1]
            recs = list(SeqIO.parse(io.StringIO(fasta.lstrip("\n")), "fasta"))
            finish_rows([(r.id, str(r.seq), mol == "protein") for r in recs])
        elif how == "sam":
            from Bio import Align
            alns = list(Align.parse(str(HERE / e["local"]), "sam"))
            res["records"] = len(alns)
            res["first_id"] = alns[0].sequences[1].id if alns else ""
        elif how.startswith("search:"):
            parts = how.split(":")
            fmt = parts[1]
            if fmt == "bio-blast":
                from Bio import Blast, SearchIO
                recs = list(Blast.parse(io.BytesIO(decompressed(e))))
                n_sio = len(list(SearchIO.parse(text_handle(e), "blast-xml")))
                extra_note = (f"Bio.Blast.parse: {len(recs)} queries, {sum(len(r) for r in recs)} hits; "
                              f"SearchIO 'blast-xml': {n_sio} queries")
            elif fmt != "none":
                from Bio import SearchIO
                kw = {}
                if len(parts) > 2 and parts[2] == "comments":
                    kw["comments"] = True
                if e.get("searchio_fields"):
                    kw["fields"] = "std btop"  # any 13th column: read as a string
                try:
                    qs = list(SearchIO.parse(text_handle(e), fmt, **kw))
                    nh = sum(len(q) for q in qs)
                    extra_note = f"SearchIO '{fmt}': {len(qs)} queries, {nh} hits"
                except Exception as ex:  # noqa: BLE001
                    extra_note = f"SearchIO '{fmt}' raises {type(ex).__name__} ({ex})"
        elif how == "csv":
            import pandas as pd
            kw = dict(e["csv"])
            buf = io.BytesIO(decompressed(e))
            df = pd.read_csv(buf, **kw)
            res["rows"] = len(df)
            res["columns"] = [str(c) for c in df.columns]
            sc = e["sequence_column"]
            if sc:
                col = df[int(sc) if kw.get("header", 0) is None else sc]
                res["records"] = len(df)
                res["protein_rows"] = int(col.notna().sum())
                res["first_sequence_start"] = clean(col.iloc[0])[:15]
            idc = e.get("id_column", "")
            if idc:
                v = df[int(idc) if kw.get("header", 0) is None else idc].iloc[0]
                res["first_id"] = str(v)
        elif how == "none":
            pass
        else:
            raise ValueError(how)

    if "protein_rows_override" in e:
        res["protein_rows"] = e["protein_rows_override"]
    if "first_seq_override" in e:
        res["first_sequence_start"] = e["first_seq_override"]
    res["extra_note"] = "; ".join(x for x in (extra_note, byte_facts(e)) if x)
    return res


def byte_facts(e) -> str:
    """Plain facts about the (decompressed) bytes: line endings, BOM, NUL, final newline."""
    if e["format"] in ("binary", "zip"):
        return ""
    data = decompressed(e)
    facts = []
    if data.startswith(b"\xef\xbb\xbf"):
        facts.append("UTF-8 BOM")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        facts.append("UTF-16 BOM")
    elif b"\r\n" in data:
        facts.append("CRLF line endings")
    elif b"\r" in data:
        facts.append("CR-only line endings")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        facts.append("contains NUL byte(s)")
    if data and not data.endswith((b"\n", b"\r")):
        facts.append("no final newline")
    return ", ".join(facts)


# --------------------------------------------------------------------------- writing
def tq(v) -> str:
    """TOML literal for str / int / list of str."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(tq(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=True)


def write_truth(results):
    out = ["# Ground truth for tests/data/real, recomputed by gather.py with Biopython "
           "(SeqIO/AlignIO/SearchIO), zcat/bzcat/xzcat and pandas; never with ProtScope code.",
           "# Keys: format, compression, molecule, records, protein_rows, first_id, "
           "first_sequence_start, note (+ columns, sequence_column, label_column, rows for tables).",
           ""]
    for e, r in results:
        out.append(f"[{tq(e['local'].split('tests/data/real/')[-1])}]")
        mol = e.get("molecule_override", e["molecule"])
        note = "; ".join(x for x in (e["note"], r["extra_note"]) if x)
        fields = [("format", e["format"]), ("compression", e["compression"]), ("molecule", mol),
                  ("records", r["records"]), ("protein_rows", r["protein_rows"]),
                  ("first_id", r["first_id"]), ("first_sequence_start", r["first_sequence_start"])]
        if e["how"] == "csv" or e["format"] in ("csv", "tsv"):
            fields += [("columns", r.get("columns", [])), ("sequence_column", e.get("sequence_column", "")),
                       ("label_column", e.get("label_column", "")), ("rows", r.get("rows", 0))]
        fields.append(("note", note))
        for k, v in fields:
            out.append(f"{k} = {tq(v)}")
        out.append("")
    (HERE / "TRUTH.toml").write_text("\n".join(out))


def write_sources():
    lines = ["# local path\tproject\trepository\tcommit\tpath in repository\tlicence"]
    for e in ENTRIES:
        if e.get("build"):
            origins = e["project"][len("made here from "):].split(" + ")
            lic = "; ".join(sorted({PROJECTS[_project_of(o)][3] for o in origins}))
            lines.append("\t".join([e["local"], e["project"], "", "", "", lic]))
            continue
        _m, url, head, lic = PROJECTS[e["project"]]
        lines.append("\t".join([e["local"], e["project"], url, e["commit"] or head or "",
                                e["path"], lic]))
    (HERE / "SOURCES").write_text("\n".join(lines) + "\n")


def _project_of(local):
    for e in ENTRIES:
        if e["local"] == local:
            return e["project"]
    raise KeyError(local)


def truth():
    results = []
    bad = 0
    for e in ENTRIES:
        try:
            results.append((e, count(e)))
        except Exception as ex:  # noqa: BLE001
            bad += 1
            print(f"FAILED {e['local']}: {type(ex).__name__}: {ex}", file=sys.stderr)
    write_truth(results)
    write_sources()
    size = sum(f.stat().st_size for f in HERE.rglob("*") if f.is_file())
    big = [str(f.relative_to(HERE)) for f in HERE.rglob("*") if f.is_file() and f.stat().st_size > 300_000]
    print(f"{len(results)} files with truth, {bad} failed; folder {size/1e6:.2f} MB; >300 KB: {big}")
    on_disk = {str(f.relative_to(HERE)) for f in HERE.rglob("*") if f.is_file()} - {
        "SOURCES", "TRUTH.toml", "gather.py"}
    listed = {e["local"] for e in ENTRIES}
    if on_disk - listed:
        print("not in the manifest:", sorted(on_disk - listed))
    if listed - on_disk:
        print("missing on disk:", sorted(listed - on_disk))
    return bad


if __name__ == "__main__":
    os.chdir(HERE)
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("copy", "all"):
        copy_all()
    if what in ("truth", "all"):
        sys.exit(1 if truth() else 0)
