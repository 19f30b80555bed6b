// placeholder until the file connector lands
