<?php
/*
 * index.php - the demo community's people, most followed first, each with
 * a follow button (follow.js asks /users/me/relationships once for all).
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

$me = demo_current_user();
$rows = demo_db()->query('SELECT id, username, display_name, follower_count '
    . 'FROM users WHERE is_active ORDER BY follower_count DESC, id LIMIT 30')
    ->fetchAll();
page_start('People', $me);
echo "<ul class=\"people\">\n";
foreach ($rows as $u) {
    echo '<li><a href="/profile.php?id=', $u['id'], '">', h(demo_name($u)),
        '</a> <span class="muted">@', h($u['username']), '</span> ',
        '<span class="muted"><span data-follow-count="', $u['id'], '">',
        (int)$u['follower_count'], '</span> followers</span> ';
    if ($u['id'] !== $me) {
        echo '<button data-follow-user="', $u['id'], '" data-follow-name="',
            h(demo_name($u)), '"></button>';
    }
    echo "</li>\n";
}
echo "</ul>\n";
page_end();
