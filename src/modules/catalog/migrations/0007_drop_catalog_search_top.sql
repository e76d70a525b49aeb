-- catalog_search_page (migration 0006) serves every relevance-ranked search, one-word pages included,
-- so nothing calls catalog_search_top (0005) any more. Its index, catalog_search_tokens_rank, stays:
-- catalog_search_page and catalog_search_bound walk it.
drop function catalog_search_top(uuid, text, integer, integer, uuid);
