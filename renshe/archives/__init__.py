"""Personnel files of mobile workers (流动人员人事档案): receipt and storage at a public talent service
institution, transfer between institutions with tracking and a working-day limit, lookup by the person, and the
存档证明 issued as an electronic certificate."""
