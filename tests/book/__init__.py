"""The book: notebook hygiene, the built HTML, the book in a browser."""
