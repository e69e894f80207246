LOCUS       1MRR_A                   375 aa            linear   BCT 10-OCT-2012
DEFINITION  Chain A, Substitution Of Manganese For Iron In Ribonucleotide
            Reductase From Escherichia Coli. Spectroscopic And Crystallographic
            Characterization.
ACCESSION   1MRR_A
VERSION     1MRR_A  GI:494379
DBSOURCE    pdb: molecule 1MRR, chain 65, release Aug 28, 2012;
            deposition: Jul 28, 1992;
            class: Reductase(Acting On Ch2);
            source: Mmdb_id: 50351, Pdb_id 1: 1MRR;
            Exp. method: X-Ray Diffraction.
KEYWORDS    .
SOURCE      Escherichia coli
  ORGANISM  Escherichia coli
            Bacteria; Proteobacteria; Gammaproteobacteria; Enterobacteriales;
            Enterobacteriaceae; Escherichia.
REFERENCE   1  (residues 1 to 375)
  AUTHORS   Nordlund,P., Sjoberg,B.M. and Eklund,H.
  TITLE     Three-dimensional structure of the free radical protein of
            ribonucleotide reductase
  JOURNAL   Nature 345 (6276), 593-598 (1990)
   PUBMED   2190093
REFERENCE   2  (residues 1 to 375)
  AUTHORS   Atta,M., Nordlund,P., Aberg,A., Eklund,H. and Fontecave,M.
  TITLE     Substitution of manganese for iron in ribonucleotide reductase from
            Escherichia coli. Spectroscopic and crystallographic
            characterization
  JOURNAL   J. Biol. Chem. 267 (29), 20682-20688 (1992)
   PUBMED   1328209
REFERENCE   3  (residues 1 to 375)
  AUTHORS   Eklund,H. and Nordlund,P.
  TITLE     Direct Submission
  JOURNAL   Submitted (28-JUL-1992)
COMMENT     1 Ribonucleotide Reductase R1 Protein.
FEATURES             Location/Qualifiers
     source          1..375
                     /organism="Escherichia coli"
                     /db_xref="taxon:562"
     Region          28..340
                     /region_name="RNRR2"
                     /note="Ribonucleotide Reductase, R2/beta subunit,
                     ferritin-like diiron-binding domain; cd01049"
                     /db_xref="CDD:153108"
     SecStr          35..46
                     /sec_str_type="helix"
                     /note="helix 1"
     Site            order(37,44,109..110,113,116..117,120,123,137..138,141)
                     /site_type="other"
                     /note="dimer interface [polypeptide binding]"
                     /db_xref="CDD:153108"
     Site            order(48,84,115,118,122,236..237,241)
                     /site_type="other"
                     /note="putative radical transfer pathway"
                     /db_xref="CDD:153108"
     SecStr          57..65
                     /sec_str_type="helix"
                     /note="helix 2"
     SecStr          67..87
                     /sec_str_type="helix"
                     /note="helix 3"
     Site            order(84,115,118,204,238,241)
                     /site_type="other"
                     /note="diiron center [ion binding]"
                     /db_xref="CDD:153108"
     Het             join(bond(84),bond(115),bond(118),bond(238))
                     /heterogen="( MN,1000 )"
     SecStr          102..129
                     /sec_str_type="helix"
                     /note="helix 4"
     Het             join(bond(115),bond(204),bond(238),bond(241))
                     /heterogen="( MN,1001 )"
     Site            122
                     /site_type="other"
                     /note="tyrosyl radical"
                     /db_xref="CDD:153108"
     SecStr          133..140
                     /sec_str_type="helix"
                     /note="helix 5"
     SecStr          143..151
                     /sec_str_type="helix"
                     /note="helix 6"
     SecStr          153..169
                     /sec_str_type="helix"
                     /note="helix 7"
     SecStr          172..177
                     /sec_str_type="sheet"
                     /note="strand 1"
     SecStr          180..185
                     /sec_str_type="sheet"
                     /note="strand 2"
     SecStr          186..216
                     /sec_str_type="helix"
                     /note="helix 8"
     Het             join(bond(194),bond(272))
                     /heterogen="( HG,1003 )"
     Het             bond(196)
                     /heterogen="( HG,1005 )"
     Het             join(bond(196),bond(196))
                     /heterogen="( HG,1002 )"
     Het             join(bond(210),bond(214),bond(214))
                     /heterogen="( HG,1004 )"
     SecStr          225..253
                     /sec_str_type="helix"
                     /note="helix 9"
     SecStr          260..269
                     /sec_str_type="helix"
                     /note="helix 10"
     Bond            bond(268,272)
                     /bond_type="disulfide"
     SecStr          270..285
                     /sec_str_type="helix"
                     /note="helix 11"
     Het             join(bond(284),bond(305),bond(309),bond(305))
                     /heterogen="( HG,1006 )"
     SecStr          301..319
                     /sec_str_type="helix"
                     /note="helix 12"
ORIGIN      
        1 ayttfsatkn dqlkepmffg qpvqvarydq qkydifekli ekqlsffwrp eevdvsrdri
       61 dyqalpehek hifisnlkyq tlldsiqgrs pnvallplis ipeletwvet wafsetihsr
      121 sythiirniv ndpsvvfddi vtneqiqkra egissyydel iemtsywhll gegthtvngk
      181 tvtvslrelk kklylclmsv naleairfyv sfacsfafae relmegnaki irliardeal
      241 hltgtqhmln llrsgaddpe maeiaeeckq ecydlfvqaa qqekdwadyl frdgsmigln
      301 kdilcqyvey itnirmqavg ldlpfntrsn pipwintwlv sdnvqvapqe vevssylvgq
      361 idsevdtddl snfql
//
