<?php
/*
 * login.php - the demo's login: pick a user of the demo community by
 * username (no password: this is a demo).  On success it mints the
 * follow-fcgi session token with hash_hmac and sets it as an HttpOnly,
 * Secure, SameSite=Lax cookie, exactly as a real site's login would.
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

$error = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $st = demo_db()->prepare(
        'SELECT id FROM users WHERE username = ? AND is_active');
    $st->execute([(string)($_POST['username'] ?? '')]);
    $id = $st->fetchColumn();
    if ($id !== false) {
        demo_login((int)$id);
        header('Location: /profile.php?id=' . (int)$id, true, 303);
        exit;
    }
    http_response_code(422);
    $error = 'No active user with that name.';
}
$me = demo_current_user();
$names = demo_db()->query('SELECT username FROM users WHERE is_active '
    . 'ORDER BY follower_count DESC, id LIMIT 20')->fetchAll(PDO::FETCH_COLUMN);
page_start('Log in', $me);
if ($error !== '') {
    echo '<p class="error" role="alert">', h($error), "</p>\n";
}
echo "<form method=\"post\" action=\"/login.php\" class=\"login\">\n",
    "<label for=\"username\">Username</label>\n",
    "<input id=\"username\" name=\"username\" list=\"names\" required ",
    "autocomplete=\"username\" autofocus>\n<datalist id=\"names\">\n";
foreach ($names as $n) {
    echo '<option value="', h($n), "\">\n";
}
echo "</datalist>\n<button type=\"submit\">Log in</button>\n</form>\n",
    "<p class=\"muted\">Demo users: ", h(implode(', ', $names)), "</p>\n";
page_end();
