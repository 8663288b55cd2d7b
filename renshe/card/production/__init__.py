"""Card production: batches sent to the card maker (制卡批次), the maker's return (回盘), demo cards."""
