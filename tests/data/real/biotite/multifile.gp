LOCUS       1L2Y_A                    20 aa            linear       20-MAY-2018
DEFINITION  Chain A, TC5b.
ACCESSION   1L2Y_A
VERSION     1L2Y_A
DBSOURCE    pdb: molecule 1L2Y, chain 65, release Jul 13, 2011;
            deposition: Feb 25, 2002;
            class: DE NOVO PROTEIN;
            source: Mmdb_id: 19592, Pdb_id 1: 1L2Y;
            Exp. method: Solution NMR.
KEYWORDS    .
SOURCE      Unknown.
  ORGANISM  Unknown.
            Unclassified.
REFERENCE   1  (residues 1 to 20)
  AUTHORS   Neidigh,J.W., Fesinmeyer,R.M. and Andersen,N.H.
  TITLE     Designing a 20-residue protein
  JOURNAL   Nat. Struct. Biol. 9 (6), 425-430 (2002)
   PUBMED   11979279
REFERENCE   2  (residues 1 to 20)
  AUTHORS   Neidigh,J.W., Fesinmeyer,R.M. and Andersen,N.H.
  TITLE     Direct Submission
  JOURNAL   Submitted (25-FEB-2002)
COMMENT     On Jul 10, 2009 this sequence version replaced gi:157878740.
            NMR Structure of Trp-Cage Miniprotein Construct TC5b.
FEATURES             Location/Qualifiers
     source          1..20
                     /organism="unknown"
     SecStr          2..9
                     /sec_str_type="helix"
                     /note="helix 1"
ORIGIN      
        1 nlyiqwlkdg gpssgrppps
//

LOCUS       3O5R_A                   128 aa            linear   PRI 10-OCT-2012
DEFINITION  Chain A, Peptidyl-prolyl Cis-trans Isomerase Fkbp5.
ACCESSION   3O5R_A
VERSION     3O5R_A
DBSOURCE    pdb: molecule 3O5R, chain 65, release Mar 28, 2012;
            deposition: Jul 28, 2010;
            class: Isomerase;
            source: Mmdb_id: 90967, Pdb_id 1: 3O5R;
            Exp. method: X-Ray Diffraction.
KEYWORDS    .
SOURCE      Homo sapiens (human)
  ORGANISM  Homo sapiens
            Eukaryota; Metazoa; Chordata; Craniata; Vertebrata; Euteleostomi;
            Mammalia; Eutheria; Euarchontoglires; Primates; Haplorrhini;
            Catarrhini; Hominidae; Homo.
REFERENCE   1  (residues 1 to 128)
  AUTHORS   Bracher,A., Kozany,C., Thost,A.K. and Hausch,F.
  TITLE     Structural characterization of the PPIase domain of FKBP51, a
            cochaperone of human Hsp90
  JOURNAL   Acta Crystallogr. D Biol. Crystallogr. 67 (PT 6), 549-559 (2011)
   PUBMED   21636895
REFERENCE   2  (residues 1 to 128)
  AUTHORS   Bracher,A., Kozany,C., Thost,A.-K. and Hausch,F.
  TITLE     Direct Submission
  JOURNAL   Submitted (28-JUL-2010)
COMMENT     Complex Of Fk506 With The Fk1 Domain Mutant A19t Of Fkbp51.
FEATURES             Location/Qualifiers
     source          1..128
                     /organism="Homo sapiens"
                     /db_xref="taxon:9606"
     SecStr          1..9
                     /sec_str_type="helix"
                     /note="helix 1"
     SecStr          20..26
                     /sec_str_type="sheet"
                     /note="strand 1"
     SecStr          27..30
                     /sec_str_type="sheet"
                     /note="strand 2"
     Region          31..123
                     /region_name="FKBP_C"
                     /note="FKBP-type peptidyl-prolyl cis-trans isomerase;
                     pfam00254"
                     /db_xref="CDD:306713"
     SecStr          39..44
                     /sec_str_type="sheet"
                     /note="strand 3"
     SecStr          45..50
                     /sec_str_type="sheet"
                     /note="strand 4"
     SecStr          52..59
                     /sec_str_type="sheet"
                     /note="strand 5"
     SecStr          64..69
                     /sec_str_type="sheet"
                     /note="strand 6"
     SecStr          76..84
                     /sec_str_type="helix"
                     /note="helix 2"
     SecStr          87..97
                     /sec_str_type="sheet"
                     /note="strand 7"
     SecStr          103..107
                     /sec_str_type="sheet"
                     /note="strand 8"
     SecStr          109..113
                     /sec_str_type="sheet"
                     /note="strand 9"
     SecStr          114..121
                     /sec_str_type="sheet"
                     /note="strand 10"
     SecStr          122..127
                     /sec_str_type="sheet"
                     /note="strand 11"
ORIGIN      
        1 gapatvteqg editskkdrg vlkivkrvgn geetpmigdk vyvhykgkls ngkkfdsshd
       61 rnepfvfslg kgqvikawdi gvatmkkgei chllckpeya ygsagslpki psnatlffei
      121 elldfkge
//

LOCUS       5UGO_A                   335 aa            linear   PRI 19-OCT-2017
DEFINITION  Chain A, Dna Polymerase Beta.
ACCESSION   5UGO_A
VERSION     5UGO_A
DBSOURCE    pdb: molecule 5UGO, chain 65, release Oct 4, 2017;
            deposition: Jan 9, 2017;
            class: TransferaseDNA;
            source: Mmdb_id: 153032, Pdb_id 1: 5UGO;
            Exp. method: X-Ray Diffraction.
KEYWORDS    .
SOURCE      Homo sapiens (human)
  ORGANISM  Homo sapiens
            Eukaryota; Metazoa; Chordata; Craniata; Vertebrata; Euteleostomi;
            Mammalia; Eutheria; Euarchontoglires; Primates; Haplorrhini;
            Catarrhini; Hominidae; Homo.
REFERENCE   1  (residues 1 to 335)
  AUTHORS   Shock,D.D., Freudenthal,B.D., Beard,W.A. and Wilson,S.H.
  TITLE     Modulating the DNA polymerase beta reaction equilibrium to dissect
            the reverse reaction
  JOURNAL   Nat. Chem. Biol. 13 (10), 1074-1080 (2017)
   PUBMED   28759020
REFERENCE   2  (residues 1 to 335)
  AUTHORS   Freudenthal,B.D., Wilson,S.H. and Beard,W.A.
  TITLE     Direct Submission
  JOURNAL   Submitted (09-JAN-2017)
COMMENT     Dna Polymerase Beta Nick Complex With Imidodiphosphate.
FEATURES             Location/Qualifiers
     source          1..335
                     /organism="Homo sapiens"
                     /db_xref="taxon:9606"
     Region          1..80
                     /region_name="Domain 1"
                     /note="NCBI Domains"
     SecStr          13..28
                     /sec_str_type="helix"
                     /note="helix 1"
     Region          15..333
                     /region_name="NT_POLXc"
                     /note="Nucleotidyltransferase (NT) domain of family X DNA
                     Polymerases; cd00141"
                     /db_xref="CDD:143386"
     SecStr          33..48
                     /sec_str_type="helix"
                     /note="helix 2"
     SecStr          67..78
                     /sec_str_type="helix"
                     /note="helix 3"
     Region          81..131
                     /region_name="Domain 2"
                     /note="NCBI Domains"
     SecStr          83..91
                     /sec_str_type="helix"
                     /note="helix 4"
     SecStr          92..100
                     /sec_str_type="helix"
                     /note="helix 5"
     Site            order(101,103,105..110,113,135,149,179..180,183,185,
                     187..190,192,234,236,254,256,271..276,279,295)
                     /site_type="active"
                     /db_xref="CDD:143386"
     Site            order(101,103,105..110,113,135,179,183,189..190,192,234,
                     236,254,256,271..276,279)
                     /site_type="other"
                     /note="primer binding site [nucleotide binding]"
                     /db_xref="CDD:143386"
     SecStr          108..117
                     /sec_str_type="helix"
                     /note="helix 6"
     SecStr          121..129
                     /sec_str_type="helix"
                     /note="helix 7"
     Region          132..262
                     /region_name="Domain 3"
                     /note="NCBI Domains"
     SecStr          134..142
                     /sec_str_type="helix"
                     /note="helix 8"
     Site            order(149,179..180,183,185,187..190,192,234,256,271..274,
                     276,279,295)
                     /site_type="other"
                     /note="NTP binding site [chemical binding]"
                     /db_xref="CDD:143386"
     SecStr          149..152
                     /sec_str_type="sheet"
                     /note="strand 1"
     SecStr          153..169
                     /sec_str_type="helix"
                     /note="helix 9"
     SecStr          173..178
                     /sec_str_type="sheet"
                     /note="strand 2"
     SecStr          186..189
                     /sec_str_type="sheet"
                     /note="strand 3"
     Site            order(190,192,256)
                     /site_type="metal-binding"
                     /note="metal binding triad [ion binding]"
                     /db_xref="CDD:143386"
     SecStr          190..197
                     /sec_str_type="sheet"
                     /note="strand 4"
     Het             join(bond(190),bond(192),bond(192))
                     /heterogen="(CA,1001)"
     Het             join(bond(190),bond(190),bond(192),bond(256),bond(190))
                     /heterogen="(CA,1002)"
     SecStr          199..202
                     /sec_str_type="sheet"
                     /note="strand 5"
     SecStr          203..206
                     /sec_str_type="sheet"
                     /note="strand 6"
     SecStr          210..221
                     /sec_str_type="helix"
                     /note="helix 10"
     SecStr          223..228
                     /sec_str_type="sheet"
                     /note="strand 7"
     SecStr          229..232
                     /sec_str_type="sheet"
                     /note="strand 8"
     SecStr          233..240
                     /sec_str_type="sheet"
                     /note="strand 9"
     SecStr          252..260
                     /sec_str_type="sheet"
                     /note="strand 10"
     Region          263..335
                     /region_name="Domain 4"
                     /note="NCBI Domains"
     SecStr          265..273
                     /sec_str_type="helix"
                     /note="helix 11"
     SecStr          276..289
                     /sec_str_type="helix"
                     /note="helix 12"
     SecStr          290..295
                     /sec_str_type="sheet"
                     /note="strand 11"
     SecStr          296..302
                     /sec_str_type="sheet"
                     /note="strand 12"
     SecStr          306..309
                     /sec_str_type="sheet"
                     /note="strand 13"
     SecStr          317..324
                     /sec_str_type="helix"
                     /note="helix 13"
ORIGIN      
        1 mskrkapqet lnggitdmlt elanfeknvs qaihkynayr kaasviakyp hkiksgaeak
       61 klpgvgtkia ekideflatg klrklekirq ddtsssinfl trvsgigpsa arkfvdegik
      121 tledlrkned klnhhqrigl kyfgdfekri preemlqmqd ivlnevkkvd seyiatvcgs
      181 frrgaessgd mdvllthpsf tsestkqpkl lhqvveqlqk vhfitdtlsk getkfmgvcq
      241 lpskndekey phrridirli pkdqyycgvl yftgsdifnk nmrahalekg ftineytirp
      301 lgvtgvagep lpvdsekdif dyiqwkyrep kdrse
//

