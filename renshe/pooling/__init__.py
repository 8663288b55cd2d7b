"""National pooling and fund monitoring (全国统筹、基金监测预警)."""
