LOCUS       AAC37312                 147 aa            linear   MAM 27-APR-1993
DEFINITION  lysozyme [Bos taurus].
ACCESSION   AAC37312
VERSION     AAC37312.1  GI:163334
DBSOURCE    locus BOVLYSOZMC accession M95099.1
KEYWORDS    .
SOURCE      Bos taurus (cattle)
  ORGANISM  Bos taurus
            Eukaryota; Metazoa; Chordata; Craniata; Vertebrata; Euteleostomi;
            Mammalia; Eutheria; Laurasiatheria; Cetartiodactyla; Ruminantia;
            Pecora; Bovidae; Bovinae; Bos.
REFERENCE   1  (residues 1 to 147)
  AUTHORS   Irwin,D.M., White,R.T. and Wilson,A.C.
  TITLE     Characterization of the cow stomach lysozyme genes: repetitive DNA
            and concerted evolution
  JOURNAL   J. Mol. Evol. 37 (4), 355-366 (1993)
   PUBMED   8308905
COMMENT     Method: conceptual translation.
FEATURES             Location/Qualifiers
     source          1..147
                     /organism="Bos taurus"
                     /db_xref="taxon:9913"
     Protein         1..147
                     /product="lysozyme"
     Region          19..145
                     /region_name="LYZ1"
                     /note="Alpha-lactalbumin / lysozyme C; smart00263"
                     /db_xref="CDD:197612"
     Site            order(52..53,55,62,76,78,81,117,120,125..126)
                     /site_type="active"
                     /note="lysozyme catalytic cleft [active]"
                     /db_xref="CDD:238066"
     Site            order(53,71)
                     /site_type="active"
                     /note="lysozyme catalytic site [active]"
                     /db_xref="CDD:238066"
     Site            order(104,109..110)
                     /site_type="other"
                     /note="Ca2+ binding site [ion binding]"
                     /db_xref="CDD:238066"
     CDS             1..147
                     /gene="lysozyme"
                     /coded_by="join(M95099.1:769..904,M95099.1:2158..2322,
                     M95099.1:4118..4193,M95099.1:7192..7258)"
ORIGIN      
        1 mkaliilgfl flsvavqgkv fercelartl kklgldgykg vslanwlclt kwessyntka
       61 tnynpssest dygifqinsk wwcndgktpn avdgchvscs elmendiaka vacakhivse
      121 qgitawvawk shcrdhdvss yvqgctl
//

