"""The baseline kfold lint is measured against: parsing every YAML file of a folder with
PyYAML's C loader (yaml.CSafeLoader), nothing else. Prints the number of documents.

    python3 benches/pyyaml_parse.py DIR
"""
import glob
import sys

import yaml

count = 0
for path in glob.glob(sys.argv[1] + "/*.yaml"):
    with open(path) as f:
        for _ in yaml.load_all(f, Loader=yaml.CSafeLoader):
            count += 1
print(count)
