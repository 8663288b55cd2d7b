"""Electronic labour contracts (电子劳动合同): templates, drafting, signing, lifecycle, verification, warnings."""
