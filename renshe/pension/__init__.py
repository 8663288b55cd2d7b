"""Enterprise employee basic pension (企业职工基本养老保险): retirement, benefit calculation, transfers."""
