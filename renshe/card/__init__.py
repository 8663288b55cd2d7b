"""Social security card and electronic SSC (社会保障卡, 电子社保卡)."""
