<?php
/*
 * profile.php?id=N - one user's profile: follow button and live counts.
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

$me = demo_current_user();
$id = filter_var($_GET['id'] ?? $me, FILTER_VALIDATE_INT,
    ['options' => ['min_range' => 1]]);
$u = $id === false ? null : demo_user($id);
if ($u === null) {
    not_found($me);
    exit;
}
page_start(demo_name($u), $me);
echo '<section class="profile" data-profile="', $u['id'], '">', "\n",
    '<p class="muted">@', h($u['username']), "</p>\n",
    '<p class="counts"><a href="/list.php?kind=followers&amp;id=', $u['id'],
    '"><strong data-follow-count="', $u['id'], '">',
    (int)$u['follower_count'], '</strong> followers</a> ',
    '<a href="/list.php?kind=following&amp;id=', $u['id'],
    '"><strong data-follow-following-count="', $u['id'], '">',
    (int)$u['following_count'], "</strong> following</a></p>\n";
if ($u['id'] !== $me) {
    echo '<button id="follow" data-follow-user="', $u['id'],
        '" data-follow-name="', h(demo_name($u)), "\"></button>\n";
}
echo "</section>\n";
page_end();
